#!/usr/bin/env bash
# Installs opsbook for action.yml: the action's own source (OPSBOOK_VERSION=action), or a
# release from crates.io. The binary lands in ~/.cargo/bin, which the action caches.
set -euo pipefail
command -v cargo >/dev/null || { echo "::error title=opsbook::cargo is needed to install opsbook (GitHub's hosted runners have it; add dtolnay/rust-toolchain on others)"; exit 2; }
if [ "${OPSBOOK_VERSION:-action}" = action ]; then
  cargo install --locked --path "${GITHUB_ACTION_PATH:?}" --root "$HOME/.cargo"
else
  cargo install --locked opsbook --version "$OPSBOOK_VERSION" --root "$HOME/.cargo"
fi
echo "$HOME/.cargo/bin" >> "${GITHUB_PATH:-/dev/null}"

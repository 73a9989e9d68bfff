#!/usr/bin/env bash
# The check step of action.yml, with the environment GitHub Actions sets. Runs `opsbook check`
# for annotations on the pull request (and, as every check in Actions does, the job summary),
# and once more for SARIF when asked; says the exit code and the SARIF path in GITHUB_OUTPUT;
# exits with check's code, so that findings fail the job.
set -uo pipefail
root="${INPUT_ROOT:-.}"
read -r -a extra <<< "${INPUT_ARGS:-}"
scope=()
if [ "${INPUT_CHANGED_ONLY:-false}" = true ]; then
  if [ -n "${GITHUB_BASE_REF:-}" ]; then
    scope=(--changed-since auto)
  else
    echo "::notice title=opsbook::changed-only applies to pull requests; this run checks every runbook"
  fi
fi
out="${GITHUB_OUTPUT:-/dev/null}"
if [ "${INPUT_SARIF:-false}" = true ]; then
  sarif="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/opsbook.sarif"
  opsbook check "$root" "${scope[@]}" "${extra[@]}" --format sarif --output "$sarif" --no-summary
  code=$?
  if [ "$code" -le 1 ]; then echo "sarif-file=$sarif" >> "$out"; fi
fi
opsbook check "$root" "${scope[@]}" "${extra[@]}" --format github
code=$?
echo "exit-code=$code" >> "$out"
exit "$code"

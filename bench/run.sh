#!/usr/bin/env bash
# opsbook against its peers on the same generated runbooks (../shared/bench/gen_corpus.py).
# Run by hand (not in CI):   bench/run.sh [SIZES...]      e.g. bench/run.sh 1000 10000 50000
# Peers are measured when installed: hugo (apt-get install hugo), mdbook (cargo install mdbook
# --locked; at 1,000 runbooks only, as its sidebar makes larger books quadratic). Zola is not in
# the registries these machines reach; its figures in README are the reference.
# Each command runs RUNS times (default 5), tools alternating; the table shows medians of wall
# time and CPU time, the largest peak RSS, and the output size.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
GEN="${GEN:-$ROOT/../shared/bench/gen_corpus.py}"
# On tmpfs where there is one: on these machines' ext4 disk creating a file costs ~0.4 ms
# (cp -r of 10,000 runbooks takes 4-6 s), which would measure the disk, not the tools.
if [ -z "${WORK:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  WORK=/dev/shm/opsbook-bench
fi
WORK="${WORK:-${TMPDIR:-/tmp}/opsbook-bench}"
RUNS="${RUNS:-5}"
[ $# -gt 0 ] && SIZES=("$@") || SIZES=(1000 10000)

cargo build --release --quiet
cargo build --release --quiet --example floor
OPSBOOK="$ROOT/target/release/opsbook"
FLOOR="$ROOT/target/release/examples/floor"
mkdir -p "$WORK"
RESULTS="$WORK/results.tsv"
: > "$RESULTS"

# measure NAME SIZE WHAT OUTDIR -- COMMAND...   (one run; appends a line to results)
measure() {
  local name=$1 size=$2 what=$3 out=$4; shift 5
  rm -rf "$out"
  /usr/bin/time -o "$WORK/time.txt" -f "%e %U %S %M" "$@" >/dev/null 2>&1 || true
  local t; t=$(tail -1 "$WORK/time.txt")
  local bytes=0
  [ -e "$out" ] && bytes=$(du -sb "$out" | cut -f1)
  echo -e "$name\t$size\t$what\t$t\t$bytes" >> "$RESULTS"
}

for size in "${SIZES[@]}"; do
  echo "== $size runbooks: generating corpora" >&2
  c="$WORK/$size"
  if [ ! -d "$c/plain" ]; then
    python3 "$GEN" --pages "$size" --out "$c/plain/content" --flavor plain --force >/dev/null
    mkdir -p "$c/nohl"
    ln -sfn "$c/plain/content" "$c/nohl/content"
    printf '[markdown]\nhighlight = false\n' > "$c/nohl/opsbook.toml"
    command -v hugo >/dev/null && python3 "$GEN" --pages "$size" --out "$c/hugo" --flavor hugo --force >/dev/null
    command -v hugo >/dev/null && python3 "$GEN" --pages "$size" --out "$c/hugo-hl" --flavor hugo --hugo-highlight on --force >/dev/null
    if command -v mdbook >/dev/null && [ "$size" -le 1000 ]; then
      python3 "$GEN" --pages "$size" --out "$c/mdbook" --flavor mdbook --force >/dev/null
    fi
  fi
  for run in $(seq "$RUNS"); do
    echo "   run $run/$RUNS" >&2
    measure opsbook "$size" "checks, highlighting, search, all generated pages" "$WORK/out" -- "$OPSBOOK" build "$c/plain" --out "$WORK/out" --today 2026-11-23
    measure "opsbook (no highlight)" "$size" "checks, search, all generated pages" "$WORK/out" -- "$OPSBOOK" build "$c/nohl" --out "$WORK/out" --today 2026-11-23
    measure "opsbook check" "$size" "every rule, no output" "$WORK/none" -- "$OPSBOOK" check "$c/plain" --today 2026-11-23
    measure "floor: copy" "$size" "cp -r of the sources" "$WORK/out" -- cp -r "$c/plain/content" "$WORK/out"
    measure "floor: parse+write" "$size" "pulldown-cmark + write, all cores" "$WORK/out" -- "$FLOOR" "$c/plain/content" "$WORK/out"
    if command -v hugo >/dev/null; then
      measure "hugo" "$size" "no highlighting, no search" "$WORK/out" -- hugo -s "$c/hugo" -d "$WORK/out" --quiet
      measure "hugo (highlight)" "$size" "Chroma highlighting, no search" "$WORK/out" -- hugo -s "$c/hugo-hl" -d "$WORK/out" --quiet
    fi
    if [ -d "$c/mdbook" ]; then
      measure "mdbook" "$size" "default theme, search index, print page" "$WORK/out" -- mdbook build -d "$WORK/out" "$c/mdbook"
    fi
  done
done

python3 - "$RESULTS" <<'PY'
import sys, statistics, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, size, what, t, out = line.rstrip("\n").split("\t")
    wall, user, sys_, rss = t.split()
    key = (name, int(size))
    r = rows.setdefault(key, {"what": what, "wall": [], "cpu": [], "rss": [], "out": 0})
    r["wall"].append(float(wall)); r["cpu"].append(float(user) + float(sys_)); r["rss"].append(int(rss)); r["out"] = int(out)
print("| tool | runbooks | what it does | wall (median) | CPU (median) | peak RSS | output | opsbook ÷ tool |")
print("|---|---|---|---|---|---|---|---|")
for (name, size), r in rows.items():
    wall = statistics.median(r["wall"]); cpu = statistics.median(r["cpu"])
    ref = rows.get(("opsbook", size))
    ratio = "" if name == "opsbook" or not ref else "%.2f" % (statistics.median(ref["wall"]) / wall)
    print(f"| {name} | {size:,} | {r['what']} | {wall:.2f} s | {cpu:.2f} s | {max(r['rss'])/1024:.0f} MiB | {r['out']/1e6:.0f} MB | {ratio} |")
PY

#!/usr/bin/env bash
# The CI performance job: a small run (1Mi entries, elem and batch, zero-seed
# map so batch call counts are exact) compared with the committed baseline
# results/baselines/ci.json. Fails (exit 3) on gates 1-3 of `bpfbench
# compare`: a read not verified, a bpf call count that changed, or a speedup
# over elem that fell by more than the threshold. Times against the baseline
# are printed, not gated (this VM is shared and noisy).
#
# Then, when the C peer builds, bpfbench and C read one pinned map in
# alternation and the TypeScript/C ratios are compared with
# results/baselines/ci-peers.json the same way.
#
# Refresh the baselines on the machine kind CI runs on:
#   ./bin/bpfbench run --entries 1Mi --strategies elem,batch --map-flags zero_seed --runs 5 --warmup 1 --save-baseline ci --force
#   ./bin/bpfbench peers --entries 1Mi --impls ts,c --rounds 3 --json results/baselines/ci-peers.json
set -euo pipefail
cd "$(dirname "$0")/.."
BASELINE=results/baselines/ci.json
THRESHOLD=${BPFBENCH_CI_THRESHOLD:-25%}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== bpfbench CI perf: 1Mi entries, elem + batch(4096), compared with $BASELINE (threshold $THRESHOLD)"
./bin/bpfbench run --entries 1Mi --strategies elem,batch --map-flags zero_seed --runs 5 --warmup 1 --no-color --json "$out/current.json"
# compare BASELINE CURRENT: 0 fine, 3 regression (fail), 1 not comparable (say so).
gate() {
  set +e
  ./bin/bpfbench compare "$1" "$2" --threshold "$THRESHOLD" --no-color
  local code=$?
  set -e
  case $code in
    0) echo "== perf: no regression against $1" ;;
    3) echo "== perf: REGRESSION against $1 (see the + rows above)"; exit 3 ;;
    1) # Another kernel or CPU model: the baseline does not apply to this machine.
       echo "== perf: $1 was measured on another kernel or CPU; not compared (refresh it: see scripts/ci-perf.sh)" ;;
    *) exit "$code" ;;
  esac
}
gate "$BASELINE" "$out/current.json"

if make -s -C scripts/peers/c >/dev/null 2>&1; then
  echo "== bpfbench CI perf: TypeScript vs the C floor, 1Mi entries, one pinned map"
  ./bin/bpfbench peers --entries 1Mi --impls ts,c --rounds 3 --no-color --json "$out/peers.json"
  gate results/baselines/ci-peers.json "$out/peers.json"
else
  echo "== perf: the C peer does not build here; TypeScript/C not compared"
fi

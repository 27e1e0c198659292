#!/usr/bin/env bash
# The CI performance job: a small run (1Mi entries, elem and batch, zero-seed
# map so batch call counts are exact) compared with the committed baseline
# results/baselines/ci.json. Fails (exit 3) on gates 1-3 of `bpfbench
# compare`: a read not verified, a bpf call count that changed, or a speedup
# over elem that fell by more than the threshold. Times against the baseline
# are printed, not gated (this VM is shared and noisy).
#
# Refresh the baseline on the machine kind CI runs on:
#   ./bin/bpfbench run --entries 1Mi --strategies elem,batch --map-flags zero_seed --runs 5 --warmup 1 --save-baseline ci --force
set -euo pipefail
cd "$(dirname "$0")/.."
BASELINE=results/baselines/ci.json
THRESHOLD=${BPFBENCH_CI_THRESHOLD:-25%}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== bpfbench CI perf: 1Mi entries, elem + batch(4096), compared with $BASELINE (threshold $THRESHOLD)"
./bin/bpfbench run --entries 1Mi --strategies elem,batch --map-flags zero_seed --runs 5 --warmup 1 --no-color --json "$out/current.json"
set +e
./bin/bpfbench compare "$BASELINE" "$out/current.json" --threshold "$THRESHOLD" --no-color
code=$?
set -e
case $code in
  0) echo "== perf: no regression" ;;
  3) echo "== perf: REGRESSION (see the + rows above)"; exit 3 ;;
  1) # Another kernel or CPU model: the baseline does not apply to this machine.
     echo "== perf: the baseline was measured on another kernel or CPU; not compared (refresh it: see scripts/ci-perf.sh)" ;;
  *) exit "$code" ;;
esac

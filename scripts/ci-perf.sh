#!/usr/bin/env bash
# The CI performance job: a small run (1Mi entries, elem and batch, zero-seed
# map so batch call counts are exact, the native read loop) compared with the
# committed baseline results/baselines/ci.json. Fails (exit 3) on gates 1-3
# of `bpfbench compare`: a read not verified or missing, a bpf call count that
# changed, or a speedup over elem that fell by more than the threshold. Times
# against the baseline are printed, not gated (this VM is shared and noisy).
#
# Then, when the C peer builds, bpfbench and C read one pinned map in
# alternation and the TypeScript/C ratios are compared with
# results/baselines/ci-peers.json the same way.
#
# Only `compare`'s exit 0 passes, with one exception: exit 1 ("not
# comparable") when the comparison says the baseline was measured on another
# kernel or CPU model and nothing else differs: the baseline does not apply to
# this machine, and the job prints why. Not comparable for any other reason
# (another read loop, map or configuration) means the baseline is stale: the
# job fails. So does exit 2 (an unreadable or invalid file) and anything else.
#
# Refresh the baselines on the machine kind CI runs on:
#   ./bin/bpfbench run --entries 1Mi --strategies elem,batch --map-flags zero_seed --loop native --runs 5 --warmup 1 --save-baseline ci --force
#   ./bin/bpfbench peers --entries 1Mi --impls ts,c --loops native --rounds 3 --json results/baselines/ci-peers.json
set -euo pipefail
cd "$(dirname "$0")/.."
BASELINE=results/baselines/ci.json
THRESHOLD=${BPFBENCH_CI_THRESHOLD:-25%}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Exit 1 of `compare` → 0 when its JSON ($1) says not comparable on the kernel
# or CPU model only (printing which), else non-zero (printing why).
baseline_elsewhere() {
  node --input-type=module - "$1" <<'JS'
import { readFileSync } from 'node:fs';
const fail = (why) => { console.log(why); process.exit(1); };
let cmp;
try {
  cmp = JSON.parse(readFileSync(process.argv[2], 'utf8'));
} catch {
  fail('compare exited 1 without a comparison (an error, not "not comparable")');
}
if (cmp.kind !== 'compare' || cmp.comparable !== false || !Array.isArray(cmp.rows)) fail('compare exited 1 without saying "not comparable" (an error)');
const x = cmp.rows.filter((r) => r.gate === 0 && r.mark === 'x');
const machine = x.filter((r) => r.figure === 'kernel' || r.figure === 'CPU model');
const said = (rs) => rs.map((r) => `${r.figure} ${r.baseline} (this machine: ${r.current})`).join(', ');
if (machine.length === 0 || machine.length !== x.length) fail(`not comparable on ${said(x.filter((r) => !machine.includes(r))) || 'nothing named'}: refresh the baseline (see scripts/ci-perf.sh)`);
console.log(`measured on another machine: ${said(machine)}`);
JS
}

# compare BASELINE CURRENT: 0 fine, 3 regression (fail), 1 not comparable
# (passes only for another machine), anything else fails.
gate() {
  local cmp
  cmp="$out/compare-$(basename "$1")"
  rm -f "$cmp"
  set +e
  ./bin/bpfbench compare "$1" "$2" --threshold "$THRESHOLD" --no-color --json "$cmp"
  local code=$?
  set -e
  local why
  case $code in
    0) echo "== perf: no regression against $1" ;;
    3) echo "== perf: REGRESSION against $1 (see the + rows above)"; exit 3 ;;
    1) if why=$(baseline_elsewhere "$cmp"); then
         echo "== perf: $1 does not apply here, $why; not compared (refresh it on this machine kind: see scripts/ci-perf.sh)"
       else
         echo "== perf: FAILED: $1: $why"; exit 1
       fi ;;
    2) echo "== perf: FAILED: compare could not read $1 or $2 (exit 2, see above)"; exit 2 ;;
    *) echo "== perf: FAILED: compare exited $code"; exit "$code" ;;
  esac
}

echo "== bpfbench CI perf: 1Mi entries, elem + batch(4096), loop native, compared with $BASELINE (threshold $THRESHOLD)"
./bin/bpfbench run --entries 1Mi --strategies elem,batch --map-flags zero_seed --loop native --runs 5 --warmup 1 --no-color --json "$out/current.json"
gate "$BASELINE" "$out/current.json"

if make -s -C scripts/peers/c >/dev/null 2>&1; then
  echo "== bpfbench CI perf: TypeScript (loop native) vs the C floor, 1Mi entries, one pinned map"
  ./bin/bpfbench peers --entries 1Mi --impls ts,c --loops native --rounds 3 --no-color --json "$out/peers.json"
  gate results/baselines/ci-peers.json "$out/peers.json"
else
  echo "== perf: the C peer does not build here; TypeScript/C not compared"
fi

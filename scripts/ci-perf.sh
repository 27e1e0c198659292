#!/usr/bin/env bash
# The CI performance job (docs/ci-and-fleets.md, "The CI job"). Three steps,
# each gate said in the log with what it decided:
#
# 1. A 1Mi run (elem and batch, a zero-seed map so batch call counts are
#    exact, the native read loop) compared with the committed baseline
#    results/baselines/ci.json: gates 1 (every read verified) and 2 (exact
#    bpf call counts, allocation per entry) hold on any machine, another
#    kernel build included; gate 3 (the speedup over elem, with its 95 %
#    interval) is printed, and gates only when the baseline's CPU model,
#    CPU count and mitigations are this machine's (`compare` says so in one
#    line when they are not).
# 2. The speed gate: bpfbench (native loop) and C read one pinned map in
#    alternation, round by round, in this run: each bpfbench/C ratio must
#    stay ≤ 1.10 (reference 1.0, threshold 10 %), decided by its 95 %
#    interval; undecided after --rounds, more rounds until decided or
#    BPFBENCH_CI_MAX_ROUNDS. No other machine is involved. Every read runs
#    on one CPU (--cpu, the last this job may use; BPFBENCH_CI_CPU): a VM's
#    CPU can run slow for a minute (its host core shared), and unpinned,
#    bpfbench's process stays on the CPU it started on while each C process
#    lands on the idle one, so a slow spell fell on bpfbench's reads alone.
# 3. That peers result against results/baselines/ci-peers.json: gates 1-2
#    (the kernel's call counts); the ratio change is reported, not gated
#    (step 2 gates the ratio).
#
# Exit: 0 only when every gate that ran passed and decided; 3 a failed gate
# 1 or 2 or a regression; 4 undecided; 1 not comparable (another
# configuration: refresh the baselines with `make baselines`); 2 an invalid
# file; anything else fails too.
set -euo pipefail
cd "$(dirname "$0")/.."
BASELINE=results/baselines/ci.json
PEERS_BASELINE=results/baselines/ci-peers.json
# The stored-baseline speedup (gate 3 vs ci.json) at 50 %: its elem and batch reads are not alternated and
# the baseline is another run's; on a quiet VM two runs minutes apart gave elem ns/entry -27 % (95 % -31.8...-24.6 %)
# and the speedup +29.9 % (24.3...38.9 %), the same code. Step 2 (bpfbench/C in alternation) is the 10 % gate.
THRESHOLD=${BPFBENCH_CI_THRESHOLD:-50%}
MAX_ROUNDS=${BPFBENCH_CI_MAX_ROUNDS:-30}
BUDGET=${BPFBENCH_CI_BUDGET:-30}
PEERS_ENTRIES=${BPFBENCH_CI_PEERS_ENTRIES:-1Mi}
CPU=${BPFBENCH_CI_CPU:-$(bash scripts/last-cpu.sh)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
started=$SECONDS
worst=0
# The worst exit so far: 3 over 4 over 1 over 2; any other non-zero kept when nothing worse.
note() {
  local c=$1
  case "$worst:$c" in
    *:0) ;;
    3:*) ;;
    *:3) worst=3 ;;
    4:*) ;;
    *:4) worst=4 ;;
    0:*) worst=$c ;;
  esac
}

# The gates of a comparison (compare --json FILE), one line each: ran or not, and what it decided.
say_gates() {
  node --input-type=module - "$1" "$2" <<'JS'
import { readFileSync } from 'node:fs';
const [file, against] = process.argv.slice(2);
let cmp;
try { cmp = JSON.parse(readFileSync(file, 'utf8')); } catch { console.log(`== gates vs ${against}: compare wrote no comparison (an error)`); process.exit(0); }
const names = { 1: 'every read verified', 2: 'bpf calls and allocation per entry', 3: 'speedup vs elem, or ratio to C', 4: 'ns/entry' };
const changed = cmp.rows.filter((r) => r.gate === 0 && r.mark === '~').map((r) => `${r.figure.replace(/ changed$/, '')} ${r.baseline} → ${r.current}`);
if (changed.length) console.log(`== machine vs ${against}: ${changed.join('; ')}`);
if (!cmp.comparable) { console.log(`== gates vs ${against}: none ran: not comparable (${cmp.rows.filter((r) => r.mark === 'x').map((r) => r.figure).join(', ')})`); process.exit(0); }
for (const g of [1, 2, 3, 4]) {
  const rows = cmp.rows.filter((r) => r.gate === g);
  if (!rows.length) { console.log(`== gate ${g} (${names[g]}) vs ${against}: no rows`); continue; }
  const gating = rows.filter((r) => r.gating);
  const state = gating.length === 0 ? 'reported, not applied' : 'applied';
  const v = (r) => r.change ? `${r.figure} ${r.change.verdict} (${(r.change.x * 100).toFixed(1)} %, 95 % ${(r.change.lo * 100).toFixed(1)}…${(r.change.hi * 100).toFixed(1)} %)` : `${r.figure} ${r.mark === '+' ? 'FAILED' : r.mark === '?' ? 'undecided' : 'passed'}`;
  const bad = gating.filter((r) => r.mark === '+' || r.mark === '?');
  const decided = g >= 3 ? rows.map(v).join('; ') : bad.length ? bad.map(v).join('; ') : `passed (${rows.length} rows)`;
  console.log(`== gate ${g} (${names[g]}) vs ${against}: ${state}: ${decided}`);
}
if (cmp.speedGates && cmp.speedGates.why) console.log(`== ${cmp.speedGates.why}`);
JS
}

# compare BASELINE CURRENT [flags]: the table, the gates' lines, the exit code noted.
gate() {
  local base=$1 cur=$2
  shift 2
  local cmp="$out/compare-$(basename "$base")"
  rm -f "$cmp"
  set +e
  ./bin/bpfbench compare "$base" "$cur" --threshold "$THRESHOLD" --no-color --json "$cmp" "$@"
  local code=$?
  set -e
  say_gates "$cmp" "$base"
  case $code in
    0) echo "== perf: passed against $base" ;;
    3) echo "== perf: REGRESSION against $base (a failed gate 1 or 2, or a speed gate regressed: the + rows above)" ;;
    4) echo "== perf: UNDECIDED against $base (the ? rows above): not a pass" ;;
    1) echo "== perf: FAILED: $base is not comparable with this run (another configuration or read loop): refresh it with 'make baselines'" ;;
    2) echo "== perf: FAILED: compare could not read $base or $cur (exit 2, see above)" ;;
    *) echo "== perf: FAILED: compare exited $code" ;;
  esac
  note "$code"
}

echo "== bpfbench CI perf: 1Mi entries, elem + batch(4096), loop native, against $BASELINE (threshold $THRESHOLD)"
set +e
./bin/bpfbench run --entries 1Mi --strategies elem,batch --map-flags zero_seed --loop native --runs auto --budget "$BUDGET" --warmup 1 --no-color --json "$out/current.json"
code=$?
set -e
if [ -s "$out/current.json" ]; then
  gate "$BASELINE" "$out/current.json"
else
  echo "== perf: FAILED: the run wrote no result (exit $code)"
  note "$code"
fi
[ "$code" -ne 0 ] && note "$code"

if make -s -C scripts/peers/c >/dev/null 2>&1; then
  echo "== bpfbench CI perf: the speed gate: bpfbench (loop native) / C ≤ 1.10, read in alternation on one pinned map, $PEERS_ENTRIES entries, every read on CPU $CPU, until decided (≤ $MAX_ROUNDS rounds)"
  set +e
  ./bin/bpfbench peers --entries "$PEERS_ENTRIES" --impls ts,c --loops native --rounds 5 --cpu "$CPU" --gate 1.0 --gate-threshold 10% --max-rounds "$MAX_ROUNDS" --no-color --json "$out/peers.json"
  code=$?
  set -e
  case $code in
    0) echo "== speed gate (bpfbench/C ≤ 1.10, in alternation): ran: passed" ;;
    3) echo "== speed gate (bpfbench/C ≤ 1.10, in alternation): ran: REGRESSED (or a row it could not judge)" ;;
    4) echo "== speed gate (bpfbench/C ≤ 1.10, in alternation): ran: UNDECIDED after $MAX_ROUNDS rounds: not a pass" ;;
    *) echo "== speed gate (bpfbench/C ≤ 1.10, in alternation): FAILED: peers exited $code" ;;
  esac
  note "$code"
  if [ -s "$out/peers.json" ]; then
    gate "$PEERS_BASELINE" "$out/peers.json" --no-speed-gates
  fi
else
  echo "== speed gate (bpfbench/C): FAILED: the C peer does not build here (make -C scripts/peers/c), so the speed gate cannot run"
  note 1
fi
echo "== bpfbench CI perf: $([ "$worst" -eq 0 ] && echo passed || echo "FAILED (exit $worst)") in $((SECONDS - started)) s"
exit "$worst"

// scripts/ci-perf.sh, the CI job's decisions. The script runs in a sandbox
// copy of the repository layout (scripts/ci-perf.sh, bin/bpfbench,
// results/baselines/) whose bin/bpfbench is a stub: `run` and `peers` hand out
// prepared results (real ones, doctored), `compare` is the real bpfbench
// compare, unless a test makes it exit with a code of its own. Only exit 0
// passes, and exit 1 only when the baseline was measured on another kernel or
// CPU model and nothing else differs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ROOT } from '../../src/paths.js';
import { BIN, runCli } from '../helpers.js';

type Json = { [k: string]: any };
const dir = mkdtempSync(join(tmpdir(), 'bpfbench-ci-perf-'));
let run: Json;
let peers: Json;

before(() => {
  const r = runCli(['run', '--entries', '65536', '--strategies', 'elem,batch', '--runs', '3', '--map-flags', 'zero_seed', '--json', join(dir, 'run.json')]);
  assert.equal(r.status, 0, r.stderr);
  run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  const p = runCli(['peers', '--entries', '16384', '--rounds', '1', '--impls', 'ts,c', '--json', join(dir, 'peers.json')]);
  assert.equal(p.status, 0, p.stderr);
  peers = JSON.parse(readFileSync(join(dir, 'peers.json'), 'utf8'));
});

const STUB = `#!/usr/bin/env bash
# bpfbench stand-in for scripts/ci-perf.sh's tests.
printf '%s\\n' "$*" >> "$STUB_DIR/calls"
cmd=$1
case $cmd in
  run|peers)
    while [ $# -gt 0 ]; do
      if [ "$1" = --json ]; then cp "$STUB_DIR/current-$cmd.json" "$2"; fi
      shift
    done ;;
  compare)
    if [ -n "\${STUB_COMPARE_EXIT:-}" ]; then echo "stub compare: exit $STUB_COMPARE_EXIT" >&2; exit "$STUB_COMPARE_EXIT"; fi
    exec "${process.execPath}" "${BIN}" "$@" ;;
  *) echo "stub: unexpected $cmd" >&2; exit 99 ;;
esac
`;

interface Sandbox {
  baseline?: Json | string;
  current: Json;
  /** With them, scripts/peers/c "builds" and the peers gate runs. */
  peersBaseline?: Json;
  peersCurrent?: Json;
  compareExit?: number;
}

let n = 0;
/** Runs the sandboxed scripts/ci-perf.sh; its exit code, output and the stub's calls. */
function ciPerf(s: Sandbox): { status: number | null; out: string; calls: string[] } {
  const root = join(dir, `sandbox-${n++}`);
  for (const d of ['scripts', 'bin', 'results/baselines', 'stub']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(join(ROOT, 'scripts/ci-perf.sh'), join(root, 'scripts/ci-perf.sh'));
  writeFileSync(join(root, 'bin/bpfbench'), STUB);
  chmodSync(join(root, 'bin/bpfbench'), 0o755);
  const text = (j: Json | string) => (typeof j === 'string' ? j : JSON.stringify(j));
  writeFileSync(join(root, 'results/baselines/ci.json'), text(s.baseline ?? run));
  writeFileSync(join(root, 'stub/current-run.json'), text(s.current));
  if (s.peersBaseline && s.peersCurrent) {
    mkdirSync(join(root, 'scripts/peers/c'), { recursive: true });
    writeFileSync(join(root, 'scripts/peers/c/Makefile'), 'all:\n\t@true\n');
    writeFileSync(join(root, 'results/baselines/ci-peers.json'), text(s.peersBaseline));
    writeFileSync(join(root, 'stub/current-peers.json'), text(s.peersCurrent));
  }
  const env: Record<string, string | undefined> = { ...process.env, STUB_DIR: join(root, 'stub'), NO_COLOR: '1', FORCE_COLOR: '0' };
  if (s.compareExit !== undefined) env.STUB_COMPARE_EXIT = String(s.compareExit);
  else delete env.STUB_COMPARE_EXIT;
  const r = spawnSync('bash', [join(root, 'scripts/ci-perf.sh')], { encoding: 'utf8', env, timeout: 120_000 });
  let calls: string[] = [];
  try {
    calls = readFileSync(join(root, 'stub/calls'), 'utf8').trimEnd().split('\n');
  } catch {
    // No call reached the stub.
  }
  return { status: r.status, out: r.stdout + r.stderr, calls };
}

function doctor(j: Json, change: (j: Json) => void): Json {
  const c = JSON.parse(JSON.stringify(j));
  change(c);
  return c;
}

test('the same result: passes (0); the run names its loop: --loop native', () => {
  const r = ciPerf({ current: run });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /== perf: no regression against results\/baselines\/ci\.json/);
  const runCall = r.calls.find((c) => c.startsWith('run '));
  assert.ok(runCall, r.calls.join('\n'));
  assert.match(runCall, /(^| )--loop native( |$)/);
});

test('a regression fails (3)', () => {
  const r = ciPerf({ current: doctor(run, (j) => (j.results[0].syscalls.bpf.GET_NEXT_KEY += 1)) });
  assert.equal(r.status, 3, r.out);
  assert.match(r.out, /== perf: REGRESSION against results\/baselines\/ci\.json/);
});

test('a baseline from another kernel and CPU model does not apply: passes (0), and says why', () => {
  const elsewhere = doctor(run, (j) => {
    j.context.kernel = '5.15.0-other';
    j.context.cpuModel = 'Other CPU';
  });
  const r = ciPerf({ baseline: elsewhere, current: run });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, new RegExp(`== perf: results/baselines/ci\\.json does not apply here, measured on another machine: kernel 5\\.15\\.0-other \\(this machine: ${run.context.kernel.replace(/\./g, '\\.')}\\), CPU model Other CPU \\(this machine: `));
});

test('not comparable on this machine (another read loop, another map) fails (1)', () => {
  const js = doctor(run, (j) => delete j.config.loop);
  const r = ciPerf({ baseline: js, current: run });
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /== perf: FAILED: results\/baselines\/ci\.json: not comparable on loop js \(this machine: native\): refresh the baseline/);
  const map = ciPerf({ baseline: doctor(run, (j) => (j.config.entries *= 2)), current: run });
  assert.equal(map.status, 1, map.out);
  assert.match(map.out, /not comparable on map /);
  // Another machine does not excuse another loop as well: the baseline is stale.
  const both = ciPerf({ baseline: doctor(js, (j) => (j.context.kernel = '5.15.0-other')), current: run });
  assert.equal(both.status, 1, both.out);
  assert.match(both.out, /FAILED: .*not comparable on loop js/);
});

test('an invalid or unreadable baseline fails (2)', () => {
  const broken = ciPerf({ baseline: doctor(run, (j) => (j.results[0].wallNs = null)), current: run });
  assert.equal(broken.status, 2, broken.out);
  assert.match(broken.out, /results\[0\]\.wallNs must be an object/);
  assert.match(broken.out, /== perf: FAILED: compare could not read/);
  const notJson = ciPerf({ baseline: '{"schemaVersion": 1,', current: run });
  assert.equal(notJson.status, 2, notJson.out);
});

test('compare exiting 1 without a comparison (a crash) fails; so does any other code', () => {
  const crash = ciPerf({ current: run, compareExit: 1 });
  assert.equal(crash.status, 1, crash.out);
  assert.match(crash.out, /== perf: FAILED: .*compare exited 1 without a comparison/);
  const other = ciPerf({ current: run, compareExit: 4 });
  assert.equal(other.status, 4, other.out);
});

test('the peers gate: same rules; peers runs with --loops native; a missing C row fails', () => {
  const ok = ciPerf({ current: run, peersBaseline: peers, peersCurrent: peers });
  assert.equal(ok.status, 0, ok.out);
  assert.match(ok.out, /== perf: no regression against results\/baselines\/ci-peers\.json/);
  const peersCall = ok.calls.find((c) => c.startsWith('peers '));
  assert.ok(peersCall, ok.calls.join('\n'));
  assert.match(peersCall, /(^| )--loops native( |$)/);
  const noC = doctor(peers, (j) => {
    j.results = j.results.filter((x: Json) => x.impl !== 'c');
    for (const x of j.results) x.ratioToC = null;
  });
  const r = ciPerf({ current: run, peersBaseline: peers, peersCurrent: noC });
  assert.equal(r.status, 3, r.out);
  assert.match(r.out, /== perf: REGRESSION against results\/baselines\/ci-peers\.json/);
});

// scripts/ci-perf.sh, the CI job's decisions. The script runs in a sandbox
// copy of the repository layout (scripts/ci-perf.sh and last-cpu.sh, bin/bpfbench,
// results/baselines/) whose bin/bpfbench is a stub: `run` and `peers` hand out
// prepared results (real ones, doctored; peers exits as a test says, its
// speed gate's verdict), `compare` is the real bpfbench compare, unless a
// test makes it exit with a code of its own. Only exit 0 passes; gates 1 and
// 2 hold against a baseline from any machine; the log says which gates ran
// and what each decided.
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
  run = steady(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')));
  const p = runCli(['peers', '--entries', '16384', '--rounds', '1', '--impls', 'ts,c', '--json', join(dir, 'peers.json')]);
  assert.equal(p.status, 0, p.stderr);
  peers = JSON.parse(readFileSync(join(dir, 'peers.json'), 'utf8'));
});

/**
 * The same read times in every run (each read's time its median's): a result
 * compared with itself then has a speed change of exactly 0, an interval of
 * width 0, and the speed gates decide "unchanged" whatever the machine's noise.
 */
function steady(j: Json): Json {
  for (const r of j.results) r.wallNs.samples = r.wallNs.samples.map(() => r.wallNs.median);
  return j;
}

const STUB = `#!/usr/bin/env bash
# bpfbench stand-in for scripts/ci-perf.sh's tests.
printf '%s\\n' "$*" >> "$STUB_DIR/calls"
cmd=$1
case $cmd in
  run|peers)
    while [ $# -gt 0 ]; do
      if [ "$1" = --json ]; then cp "$STUB_DIR/current-$cmd.json" "$2"; fi
      shift
    done
    if [ "$cmd" = peers ]; then exit "\${STUB_PEERS_EXIT:-0}"; fi ;;
  compare)
    if [ -n "\${STUB_COMPARE_EXIT:-}" ]; then echo "stub compare: exit $STUB_COMPARE_EXIT" >&2; exit "$STUB_COMPARE_EXIT"; fi
    exec "${process.execPath}" "${BIN}" "$@" ;;
  *) echo "stub: unexpected $cmd" >&2; exit 99 ;;
esac
`;

interface Sandbox {
  baseline?: Json | string;
  current: Json;
  /** scripts/peers/c does not "build": the speed gate cannot run. */
  noPeers?: boolean;
  /** The peers baseline and result (default: the real peers result). */
  peersBaseline?: Json;
  peersCurrent?: Json;
  compareExit?: number;
  /** What the stub's peers exits with: its speed gate's verdict (0 passed, 3 regressed, 4 undecided). */
  peersExit?: number;
}

let n = 0;
/** Runs the sandboxed scripts/ci-perf.sh; its exit code, output and the stub's calls. */
function ciPerf(s: Sandbox): { status: number | null; out: string; calls: string[] } {
  const root = join(dir, `sandbox-${n++}`);
  for (const d of ['scripts', 'bin', 'results/baselines', 'stub']) mkdirSync(join(root, d), { recursive: true });
  for (const f of ['ci-perf.sh', 'last-cpu.sh']) copyFileSync(join(ROOT, 'scripts', f), join(root, 'scripts', f));
  writeFileSync(join(root, 'bin/bpfbench'), STUB);
  chmodSync(join(root, 'bin/bpfbench'), 0o755);
  const text = (j: Json | string) => (typeof j === 'string' ? j : JSON.stringify(j));
  writeFileSync(join(root, 'results/baselines/ci.json'), text(s.baseline ?? run));
  writeFileSync(join(root, 'stub/current-run.json'), text(s.current));
  if (!s.noPeers) {
    mkdirSync(join(root, 'scripts/peers/c'), { recursive: true });
    writeFileSync(join(root, 'scripts/peers/c/Makefile'), 'all:\n\t@true\n');
    writeFileSync(join(root, 'results/baselines/ci-peers.json'), text(s.peersBaseline ?? peers));
    writeFileSync(join(root, 'stub/current-peers.json'), text(s.peersCurrent ?? peers));
  }
  const env: Record<string, string | undefined> = { ...process.env, STUB_DIR: join(root, 'stub'), NO_COLOR: '1', FORCE_COLOR: '0' };
  if (s.compareExit !== undefined) env.STUB_COMPARE_EXIT = String(s.compareExit);
  else delete env.STUB_COMPARE_EXIT;
  if (s.peersExit !== undefined) env.STUB_PEERS_EXIT = String(s.peersExit);
  else delete env.STUB_PEERS_EXIT;
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

test('the same result: passes (0), every gate said in the log; the run names its loop: --loop native', () => {
  const r = ciPerf({ current: run });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /== perf: passed against results\/baselines\/ci\.json/);
  assert.match(r.out, /== gate 1 \(every read verified\) vs results\/baselines\/ci\.json: applied: passed/);
  assert.match(r.out, /== gate 2 \(bpf calls and allocation per entry\) vs results\/baselines\/ci\.json: applied: passed/);
  assert.match(r.out, /== gate 3 \(speedup vs elem[^)]*\) vs results\/baselines\/ci\.json: applied: batch\(4096\) speedup vs elem unchanged/);
  const runCall = r.calls.find((c) => c.startsWith('run '));
  assert.ok(runCall, r.calls.join('\n'));
  assert.match(runCall, /(^| )--loop native( |$)/);
  assert.match(r.out, /== bpfbench CI perf: passed in \d+ s/);
});

test('no C peer: the speed gate cannot run, and the job fails (1) rather than pass by skipping it', () => {
  const r = ciPerf({ current: run, noPeers: true });
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /== speed gate \(bpfbench\/C\): FAILED: the C peer does not build here/);
});

test('a changed call count fails (3)', () => {
  const r = ciPerf({ current: doctor(run, (j) => (j.results[0].syscalls.bpf.GET_NEXT_KEY += 1)) });
  assert.equal(r.status, 3, r.out);
  assert.match(r.out, /== perf: REGRESSION against results\/baselines\/ci\.json/);
  assert.match(r.out, /== gate 2 .*: applied: elem bpf calls FAILED/);
});

test('a baseline from another kernel build: gates 1-3 all ran, and the log says the kernel changed', () => {
  const build = doctor(run, (j) => (j.context.kernel = `${j.context.kernel}-otherbuild`));
  const r = ciPerf({ baseline: build, current: run });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /== machine vs results\/baselines\/ci\.json: kernel \S+-otherbuild → /);
  for (const g of [1, 2, 3]) assert.match(r.out, new RegExp(`== gate ${g} \\([^)]*\\)?[^:]*\\) vs results/baselines/ci\\.json: applied: `));
  assert.doesNotMatch(r.out, /gate [123] [^\n]*ci\.json: reported/);
  assert.doesNotMatch(r.out, /speed gates reported, not applied: measured on another machine/);
});

test('another kernel and CPU model with one call count changed: gates 1-2 hold, exit 3; the speed gate is reported, said in one line', () => {
  const elsewhere = doctor(run, (j) => {
    j.context.kernel = '5.15.0-other';
    j.context.cpuModel = 'Other CPU';
  });
  const r = ciPerf({ baseline: elsewhere, current: doctor(run, (j) => (j.results[1].syscalls.bpf.LOOKUP_BATCH += 1)) });
  assert.equal(r.status, 3, r.out);
  assert.match(r.out, /== gate 2 .*: applied: batch\(4096\) bpf calls FAILED/);
  assert.match(r.out, /== gate 3 .*: reported, not applied: /);
  assert.match(r.out, /== speed gates reported, not applied: measured on another machine \(CPU model\); gates 1 and 2 applied/);
  // The same machines, counts equal: passes on gates 1-2 alone.
  const ok = ciPerf({ baseline: elsewhere, current: run });
  assert.equal(ok.status, 0, ok.out);
});

test('not comparable (another read loop, another map) fails (1), also from another machine', () => {
  const js = doctor(run, (j) => delete j.config.loop);
  const r = ciPerf({ baseline: js, current: run });
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /none ran: not comparable \(loop\)/);
  assert.match(r.out, /== perf: FAILED: results\/baselines\/ci\.json is not comparable with this run .*make baselines/);
  const map = ciPerf({ baseline: doctor(run, (j) => (j.config.entries *= 2)), current: run });
  assert.equal(map.status, 1, map.out);
  assert.match(map.out, /not comparable \(map\)/);
  const both = ciPerf({ baseline: doctor(js, (j) => (j.context.kernel = '5.15.0-other')), current: run });
  assert.equal(both.status, 1, both.out);
});

test('an invalid or unreadable baseline fails (2)', () => {
  const broken = ciPerf({ baseline: doctor(run, (j) => (j.results[0].wallNs = null)), current: run });
  assert.equal(broken.status, 2, broken.out);
  assert.match(broken.out, /results\[0\]\.wallNs must be an object/);
  assert.match(broken.out, /== perf: FAILED: compare could not read/);
  const notJson = ciPerf({ baseline: '{"schemaVersion": 1,', current: run });
  assert.equal(notJson.status, 2, notJson.out);
});

test('compare exiting 4 (undecided) fails; so does any other code', () => {
  const undecided = ciPerf({ current: run, compareExit: 4 });
  assert.equal(undecided.status, 4, undecided.out);
  assert.match(undecided.out, /== perf: UNDECIDED against results\/baselines\/ci\.json/);
  const other = ciPerf({ current: run, compareExit: 7 });
  assert.equal(other.status, 7, other.out);
});

test('the speed gate: peers in alternation with --gate 1.0 at 10 %, until decided; undecided (4) and regressed (3) fail; a missing C row fails', () => {
  const ok = ciPerf({ current: run, peersBaseline: peers, peersCurrent: peers });
  assert.equal(ok.status, 0, ok.out);
  assert.match(ok.out, /== speed gate \(bpfbench\/C ≤ 1\.10, in alternation\): ran: passed/);
  assert.match(ok.out, /== perf: passed against results\/baselines\/ci-peers\.json/);
  assert.match(ok.out, /== gate 3 \([^)]*\) vs results\/baselines\/ci-peers\.json: reported, not applied/);
  const peersCall = ok.calls.find((c) => c.startsWith('peers '));
  assert.ok(peersCall, ok.calls.join('\n'));
  assert.match(peersCall, /(^| )--loops native( |$)/);
  assert.match(peersCall, /--gate 1\.0 --gate-threshold 10% --max-rounds \d+/);
  // Every read on one CPU: the last this process may use (a cpuset may allow fewer than are online).
  const allowed = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
  assert.match(peersCall, new RegExp(`(^| )--cpu ${allowed.split(/[-,]/).pop()}( |$)`));
  assert.match(ok.out, new RegExp(`every read on CPU ${allowed.split(/[-,]/).pop()},`));
  const undecided = ciPerf({ current: run, peersBaseline: peers, peersCurrent: peers, peersExit: 4 });
  assert.equal(undecided.status, 4, undecided.out);
  assert.match(undecided.out, /ran: UNDECIDED/);
  const regressed = ciPerf({ current: run, peersBaseline: peers, peersCurrent: peers, peersExit: 3 });
  assert.equal(regressed.status, 3, regressed.out);
  const noC = doctor(peers, (j) => {
    j.results = j.results.filter((x: Json) => x.impl !== 'c');
    for (const x of j.results) x.ratioToC = null;
  });
  const r = ciPerf({ current: run, peersBaseline: peers, peersCurrent: noC });
  assert.equal(r.status, 3, r.out);
  assert.match(r.out, /== perf: REGRESSION against results\/baselines\/ci-peers\.json/);
});

// The peers issue 22 added, on the real kernel: bcc's Python tables, readers
// of the user's own through exec:NAME=COMMAND (the documented C and Python
// readers, and readers that lie, hang or speak off the protocol), and the
// bad input that must end in one line, a non-zero exit and no pin left.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PIN_DIR, preparePinPath, removePin } from '../../../src/bpf/maps/bpffs.js';
import { COUNTER_PROG, SyscallCounter } from '../../../src/bpf/programs/counter.js';
import { BpfObject } from '../../../src/bpf/programs/loader.js';
import { MAP_NAME } from '../../../src/harness/filling/bench-map.js';
import { bccPeer } from '../../../src/harness/peers/peer-programs.js';
import { verifyPeer } from '../../../src/harness/peers/program-peer.js';
import { commandFor, execPeer, parseExecSpec, parseResultLine } from '../../../src/harness/peers/exec.js';
import { parseImpls } from '../../../src/cli/peer-impls.js';
import { runPeers } from '../../../src/harness/peers/run-peers.js';
import type { PeersConfig } from '../../../src/harness/peers/peer-cells.js';
import { silentProgress } from '../../../src/harness/measuring/progress.js';
import { TOOL, ROOT } from '../../../src/paths.js';
import { htmlReport } from '../../../src/report/html/page.js';
import { buildPeersResult } from '../../../src/report/result/peers-result.js';
import { renderPeers } from '../../../src/report/rendering/peers-table.js';
import { checkResult, REPORT_KINDS } from '../../../src/report/schema/index.js';
import { filledHashMap, requireTool, runCli, VALUE } from '../../helpers.js';

const bccMissing = (): string | undefined => {
  const no = bccPeer.prepare(() => undefined);
  assert.ok(!no?.broken, no?.why);
  return no?.why;
};
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** The object's syscall counter, loaded, not attached; closed after `fn`. */
async function withCounter(fn: (c: SyscallCounter) => Promise<void>): Promise<void> {
  const obj = BpfObject.open();
  obj.configureMap(MAP_NAME, { maxEntries: 1 });
  obj.autoloadOnly([COUNTER_PROG]);
  obj.load();
  const counter = new SyscallCounter(obj);
  try {
    await fn(counter);
  } finally {
    counter.close();
    obj.close();
  }
}

const N = 20_000;
const expect = { entries: N, value: VALUE };
const config = (impls: string[], extra: Partial<PeersConfig> = {}): PeersConfig => ({
  entries: N,
  maxEntries: N,
  fill: 'batch',
  mapFlags: 0,
  kernelCount: true,
  chunk: 1024,
  rounds: 2,
  strategies: ['elem', 'batch'],
  impls,
  loops: ['native'],
  requireTools: true,
  ...extra,
});

test('bcc: items() per element and items_lookup_batch() in one call of its own size, each counted by the kernel and verified', async (t) => {
  if (!requireTool(t, 'python3-bpfcc', bccMissing())) return;
  await withCounter(async (counter) => {
    const pin = `${PIN_DIR}/peers-bcc-test-${process.pid}`;
    const map = filledHashMap(N);
    try {
      preparePinPath(pin);
      map.pin(pin);
      const e = await bccPeer.audit(pin, 'elem', 4096, expect, counter);
      assert.equal(e.covers, 'read');
      assert.deepEqual(e.kernel.bpf, { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N });
      assert.equal(e.report.chunk, null);
      assert.deepEqual(verifyPeer(e.report, expect).problems, []);
      // bcc opens the pin itself (BPF_TABLE_PINNED), after the script read its max_entries: outside the read.
      assert.ok(e.process.bpf.OBJ_GET! >= 2, JSON.stringify(e.process.bpf));
      const b = await bccPeer.audit(pin, 'batch', 4096, expect, counter);
      // bcc asks the first call for max_entries: the whole map in one call, which ends it with ENOENT.
      assert.deepEqual(b.kernel.bpf, { LOOKUP_BATCH: 1 });
      assert.equal(b.report.chunk, N, "its chunk is the map's max_entries, not --chunk");
      assert.deepEqual(verifyPeer(b.report, expect).problems, []);
      t.diagnostic(`bcc process: ${JSON.stringify(b.process.bpf)}`);
    } finally {
      removePin(pin);
      map.close();
    }
  });
});

test('peers with bcc: rows in the table, the JSON (valid for `report`) and the HTML page, each saying who counted it and what its time covers', async (t) => {
  if (!requireTool(t, 'python3-bpfcc', bccMissing()) || !requireTool(t, 'gcc', have('gcc') ? undefined : 'not on PATH')) return;
  const o = await runPeers(config(['c', 'bcc']), silentProgress, () => undefined);
  const r = buildPeersResult(o, TOOL);
  assert.equal(r.ok, true, JSON.stringify(r.results.map((x) => [x.impl, x.strategy, x.error, x.verified.problems])));
  const bcc = r.results.filter((x) => x.impl === 'bcc');
  assert.deepEqual(
    bcc.map((x) => x.strategy),
    ['elem', 'batch'],
  );
  for (const x of r.results) {
    assert.equal(x.bpfCalls?.countedBy, 'kernel');
    assert.equal(x.timeIncludesStartup, false);
    assert.equal(x.timedBy, 'self');
    assert.equal(x.runs, 2);
    assert.equal(x.error, null);
    assert.equal(x.verified.distinct, N);
  }
  assert.equal(bcc[1]!.chunk, N);
  assert.equal(r.results.find((x) => x.impl === 'c' && x.strategy === 'batch')!.chunk, null, 'C reads with --chunk');
  const table = renderPeers(r, { color: false });
  assert.match(table, /^bcc, Python tables +elem +ok +kernel +read /m);
  assert.match(table, new RegExp(`^bcc, Python tables +batch\\(${N}\\) +ok`, 'm'));
  const json = JSON.parse(JSON.stringify(r)) as unknown;
  assert.equal(checkResult('peers.json', json, REPORT_KINDS).kind, 'peers');
  assert.match(htmlReport([{ file: 'peers.json', json: r }]), /bcc, Python tables/);
});

/** A 0700 temp dir with the documented C reader built in it. */
function buildCReader(): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-reader-'));
  const path = join(dir, 'reader');
  const cc = spawnSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', path, join(ROOT, 'examples/readers/reader.c')], { encoding: 'utf8' });
  assert.equal(cc.status, 0, cc.stderr);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const q = (p: string) => `'${p}'`;
const py = (file: string, args = '{pin} {entries}') => `python3 ${q(join(ROOT, file))} ${args}`;

test('exec: the documented C and Python readers pass; a reader with a wrong checksum, and one that never reads, fail verification', async (t) => {
  if (!requireTool(t, 'gcc', have('gcc') ? undefined : 'not on PATH') || !requireTool(t, 'python3', have('python3') ? undefined : 'not on PATH')) return;
  const reader = buildCReader();
  try {
    const impls = [
      'c',
      `exec:c-reader=${q(reader.path)} {pin} {entries} {chunk}`,
      `exec:py-reader=${py('examples/readers/reader.py')}`,
      `exec:liar=${py('test/fixtures/readers/wrong-checksum.py')}`,
      `exec:no-read=${py('test/fixtures/readers/no-read.py', '{entries}')}`,
    ];
    const o = await runPeers(config(impls, { strategies: ['batch'] }), silentProgress, () => undefined);
    const r = buildPeersResult(o, TOOL);
    const row = (impl: string) => r.results.find((x) => x.impl === impl)!;
    const c = row('c');
    for (const name of ['exec:c-reader', 'exec:py-reader']) {
      const x = row(name);
      assert.equal(x.error, null, x.error ?? '');
      assert.equal(x.verified.ok, true, x.verified.problems.join('; '));
      assert.equal(x.strategy, 'own');
      assert.equal(x.runs, 2);
      assert.equal(x.timedBy, 'bpfbench');
      assert.equal(x.timeIncludesStartup, false);
      assert.equal(x.bpfCalls?.countedBy, 'kernel');
      assert.equal(x.bpfCalls?.covers, 'read');
      assert.ok(x.wallNs!.min > 0);
    }
    assert.deepEqual(row('exec:c-reader').bpfCalls!.calls, c.bpfCalls!.calls, 'one map, --chunk: the same LOOKUP_BATCH calls as the C peer');
    assert.deepEqual(row('exec:py-reader').bpfCalls!.calls, { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N });
    const liar = row('exec:liar');
    assert.equal(liar.verified.ok, false);
    assert.deepEqual(liar.verified.problems, ['key/value checksum differs']);
    const noRead = row('exec:no-read');
    assert.equal(noRead.verified.ok, false);
    assert.match(noRead.verified.problems.join('; '), /the kernel counted no bpf call of its process between its marks/);
    assert.equal(r.ok, false);
    const table = renderPeers(r, { color: false });
    assert.match(table, /^exec:c-reader +its own +ok +kernel +read, marks /m);
    assert.match(table, /^exec:liar +its own +FAILED /m);
    assert.match(table, /^FAILED exec:liar own: key\/value checksum differs$/m);
  } finally {
    reader.remove();
  }
});

test('exec: the command is split as a shell would, run without one; {strategy} makes a row per strategy; --impls keeps commas inside a command', () => {
  const spec = parseExecSpec(`exec:r=./my\\ reader "{pin}" --label 'a b' {strategy}`);
  assert.deepEqual(spec, { name: 'r', words: ['./my reader', '{pin}', '--label', 'a b', '{strategy}'] });
  assert.deepEqual(commandFor(spec.words, { pin: '/sys/fs/bpf/x y', id: 7, entries: 10, chunk: 4, strategy: 'batch' }), ['./my reader', '/sys/fs/bpf/x y', '--label', 'a b', 'batch']);
  assert.deepEqual(execPeer(spec).strategies, ['elem', 'batch', 'batch-fixed-cursor']);
  assert.deepEqual(execPeer(parseExecSpec('exec:o=./r {pin} {id} {entries} {chunk}')).strategies, ['own']);
  assert.throws(() => parseExecSpec('exec:x=a | b'), /run without a shell, so '\|' means nothing/);
  assert.throws(() => parseExecSpec('exec:x=a "b'), /unterminated "/);
  assert.throws(() => parseExecSpec('exec:=a'), /expected exec:NAME=COMMAND/);
  const impls = parseImpls(['ts', 'c']);
  assert.deepEqual(impls('ts,exec:r=./r --keys 1,2,3 {pin},c'), ['ts', 'exec:r=./r --keys 1,2,3 {pin}', 'c']);
  assert.throws(() => impls('ts,exec:r=./a,exec:r=./b'), /lists one twice/);
  assert.throws(() => impls('ts,bogus'), /unknown implementation 'bogus'/);
  assert.deepEqual(parseResultLine('r', 'result entries=3 distinct=3 checksum=4294967295\n'), { entries: 3, distinct: 3, checksum: 4294967295 });
  assert.throws(() => parseResultLine('r', 'result entries=3 distinct=3 checksum=4294967296\n'), /not a u32/);
  assert.throws(() => parseResultLine('r', 'debug\nresult entries=3 distinct=3 checksum=1\n'), /off the protocol/);
  assert.throws(() => parseResultLine('r', ''), /printed nothing on stdout/);
});

/** The bpfbench lines of stderr that are not progress ('… done in'). */
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('bpfbench:') && !/ … done in |building the C peer/.test(l));

test('bad input: a command not found, a reader that hangs, one off the protocol, one that exits non-zero, bcc without python3-bpfcc: one line, a non-zero exit, no pin left', async (t) => {
  const pin = `${PIN_DIR}/peers-bad-${process.pid}`;
  const cli = (impls: string, extra: string[] = [], env: Record<string, string> = {}) =>
    runCli(['peers', '--entries', '2000', '--rounds', '1', '--no-color', '--pin', pin, '--impls', impls, ...extra], env);
  const notFound = cli('exec:nf=/nonexistent/bpfbench-reader {pin}');
  assert.equal(notFound.status, 2, notFound.stderr);
  assert.deepEqual(errorLines(notFound.stderr), ['bpfbench: exec:nf: command not found: /nonexistent/bpfbench-reader']);
  assert.equal(existsSync(pin), false);

  const hang = cli('exec:hang=sleep 60', ['--peer-timeout', '1']);
  assert.equal(hang.status, 1, hang.stderr);
  assert.deepEqual(errorLines(hang.stderr), ['bpfbench: FAILED exec:hang own: exec:hang: sleep did not finish within 1 s (--peer-timeout): stopped (SIGKILL)']);
  assert.match(hang.stdout, /^exec:hang +its own +FAILED /m);
  assert.equal(existsSync(pin), false, 'pin removed');

  if (requireTool(t, 'python3', have('python3') ? undefined : 'not on PATH')) {
    const off = cli(`exec:off=${py('test/fixtures/readers/off-protocol.py', '')}`);
    assert.equal(off.status, 1, off.stderr);
    const lines = errorLines(off.stderr);
    assert.equal(lines.length, 1, off.stderr);
    assert.match(lines[0]!, /^bpfbench: FAILED exec:off own: exec:off printed "read 5 entries, checksum 42" on stdout, off the protocol/);
    assert.equal(existsSync(pin), false);
  }

  const fails = cli('exec:false=false {pin}');
  assert.equal(fails.status, 1, fails.stderr);
  assert.match(errorLines(fails.stderr).join('\n'), /^bpfbench: FAILED exec:false own: exec:false: false failed \(exit 1\)/);
  assert.match(fails.stdout, /^exec:false +its own +FAILED /m);

  const noBcc = cli('ts,bcc', [], { BPFBENCH_BCC_PYTHON: '/bin/false' });
  assert.equal(noBcc.status, 1, noBcc.stderr);
  assert.deepEqual(errorLines(noBcc.stderr), ["bpfbench: bcc: bcc for /bin/false (python3-bpfcc) not installed: run 'make deps'"]);
  assert.equal(noBcc.stdout, '');
  assert.equal(existsSync(pin), false);
});

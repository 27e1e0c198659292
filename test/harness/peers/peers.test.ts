// The peers' counts come from the kernel: a peer process counted from its
// first bpf call (the gate), its read alone (--sync), bpftool's whole
// process; the Go peer counts nothing itself; a self count the kernel
// contradicts fails the cell; bpfbench's rows, one per loop, audited too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { MapElemAttr } from '../../../src/bpf/syscall/attr.js';
import { Cmd } from '../../../src/bpf/syscall/constants.js';
import { NativeBlock } from '../../../src/bpf/syscall/native-block.js';
import { bpf } from '../../../src/bpf/syscall/syscall.js';
import { COUNTER_PROG, newKernelCounts, SyscallCounter } from '../../../src/bpf/programs/counter.js';
import { BpfObject } from '../../../src/bpf/programs/loader.js';
import { PIN_DIR, preparePinPath, removePin } from '../../../src/bpf/maps/bpffs.js';
import { MAP_NAME } from '../../../src/harness/filling/bench-map.js';
import { countProcess } from '../../../src/harness/peers/peer-audit.js';
import { bpftoolPeer, cPeer, goPeer } from '../../../src/harness/peers/peer-programs.js';
import type { Peer } from '../../../src/harness/peers/program-peer.js';
import { judged, type AuditRecord } from '../../../src/harness/peers/peer-cells.js';
import { runPeers } from '../../../src/harness/peers/run-peers.js';
import { silentProgress } from '../../../src/harness/measuring/progress.js';
import type { Verdict } from '../../../src/harness/verification/verdict.js';
import { buildPeersResult } from '../../../src/report/result/peers-result.js';
import { renderPeers } from '../../../src/report/rendering/peers-table.js';
import { TOOL } from '../../../src/paths.js';
import { filledHashMap, requireTool, VALUE } from '../../helpers.js';

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

/** A map of keys 0..n-1 → VALUE, pinned for `fn`. */
async function withPinnedMap(n: number, fn: (pin: string) => Promise<void>): Promise<void> {
  const pin = `${PIN_DIR}/peers-test-${process.pid}`;
  const map = filledHashMap(n);
  try {
    preparePinPath(pin);
    map.pin(pin);
    await fn(pin);
  } finally {
    removePin(pin);
    map.close();
  }
}

/** The peer, built; a test skip only when its tools are not installed (a failed build fails). */
function ready(peer: Peer): string | false {
  const no = peer.prepare(() => undefined);
  if (!no) return false;
  assert.equal(no.broken, false, `${peer.name}: ${no.why}`);
  return no.why;
}

const N = 20_000;
const expect = { entries: N, value: VALUE };

test('the C peer counted by the kernel: its process from the first call, its read alone, its own count equal', async (t) => {
  if (!requireTool(t, cPeer.name, ready(cPeer))) return;
  await withCounter((counter) =>
    withPinnedMap(N, async (pin) => {
      const a = await cPeer.audit(pin, 'elem', 4096, expect, counter);
      assert.equal(a.covers, 'read');
      assert.deepEqual(a.kernel.bpf, { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N });
      assert.deepEqual(a.report.bpfCalls, { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N });
      // OBJ_GET is its first bpf call: counted, so the target was set before it.
      assert.deepEqual(a.process.bpf, { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N, OBJ_GET: 1, OBJ_GET_INFO_BY_FD: 1 });
      assert.equal(a.report.entries, N);
    }),
  );
});

test("the Go peer prints no bpf call count; the kernel counts its read and its start-up (cilium's batch probe outside the read)", async (t) => {
  if (!requireTool(t, goPeer.name, ready(goPeer))) return;
  await withCounter((counter) =>
    withPinnedMap(N, async (pin) => {
      for (const strategy of ['elem', 'batch']) {
        const out = spawnSync('scripts/peers/go/bpfbench-peer-go', ['--pin', pin, '--strategy', strategy, '--runs', '2', '--value', String(VALUE)], { encoding: 'utf8' });
        assert.equal(out.status, 0, out.stderr);
        assert.doesNotMatch(out.stdout, /bpfCalls/);
        assert.equal(out.stdout.trim().split('\n').length, 2);
      }
      const e = await goPeer.audit(pin, 'elem', 4096, expect, counter);
      assert.deepEqual(e.kernel.bpf, { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N });
      assert.equal(e.report.bpfCalls, undefined);
      assert.equal(e.process.bpf.OBJ_GET, 1);
      const b = await goPeer.audit(pin, 'batch', 4096, expect, counter);
      const c = await cPeer.audit(pin, 'batch', 4096, expect, counter);
      assert.deepEqual(Object.keys(b.kernel.bpf), ['LOOKUP_BATCH']);
      assert.deepEqual(b.kernel.bpf, c.kernel.bpf, 'one map, one bucket layout: the same LOOKUP_BATCH calls as C');
      // cilium's one-time probe and our zero-count call, before the read: in the process, not in the read.
      assert.ok(b.process.bpf.LOOKUP_BATCH! > b.kernel.bpf.LOOKUP_BATCH!);
    }),
  );
});

test("bpftool's dump counted by the kernel: its whole process, the same per command every time, a lookup per entry", async (t) => {
  if (!requireTool(t, bpftoolPeer.name, ready(bpftoolPeer))) return;
  await withCounter((counter) =>
    withPinnedMap(N, async (pin) => {
      const a = await bpftoolPeer.audit(pin, 'elem', 0, expect, counter);
      const b = await bpftoolPeer.audit(pin, 'elem', 0, expect, counter);
      assert.equal(a.covers, 'process');
      assert.deepEqual(a.kernel, a.process);
      assert.deepEqual(a.kernel.bpf, b.kernel.bpf, 'stable');
      assert.ok(a.kernel.bpf.LOOKUP_ELEM! >= N && a.kernel.bpf.GET_NEXT_KEY! >= N + 1, JSON.stringify(a.kernel.bpf));
      assert.equal(a.report.entries, N);
      t.diagnostic(`bpftool map dump: ${JSON.stringify(a.kernel.bpf)}`);
    }),
  );
});

test('a counted process that fails, or never marks its read, is an error; the counter is detached and counts this process again', () =>
  withCounter(async (counter) => {
    await assert.rejects(countProcess(['false'], counter, { sync: false }), /false failed \(exit 1\)/);
    await assert.rejects(countProcess(['true'], counter, { sync: true }), /did not mark its read/);
    await assert.rejects(countProcess(['/bpfbench-no-such-program'], counter, { sync: false }), /failed \(exit 127\)/);
    const map = filledHashMap(10);
    const attr = new NativeBlock(MapElemAttr.SIZE + 16);
    attr.setU32(MapElemAttr.map_fd, map.fd);
    attr.setU64(MapElemAttr.key, attr.addr + MapElemAttr.SIZE);
    attr.setU64(MapElemAttr.value, attr.addr + MapElemAttr.SIZE + 8);
    const lookup = () => assert.equal(bpf(Cmd.MAP_LOOKUP_ELEM, attr.addr, MapElemAttr.SIZE), 0);
    const k0 = newKernelCounts();
    const k1 = newKernelCounts();
    try {
      counter.read(k0);
      lookup();
      counter.read(k1);
      assert.equal(k1.bpfTotal, k0.bpfTotal, 'detached');
      counter.attach();
      counter.read(k0);
      lookup();
      counter.read(k1);
      counter.detach();
      assert.equal(k1.bpf[Cmd.MAP_LOOKUP_ELEM]! - k0.bpf[Cmd.MAP_LOOKUP_ELEM]!, 1, 'targeted at this process again');
    } finally {
      attr.free();
      map.close();
    }
  }));

test('a self count the kernel contradicts fails the cell; a failed audit read fails it too', () => {
  const ok: Verdict = { ok: true, entries: 5, distinct: 5, expectedEntries: 5, keySumOk: true, checksumOk: true, badValues: 0, badKeys: 0, problems: [] };
  const kernel = { countedBy: 'kernel' as const, covers: 'read' as const, calls: { LOOKUP_BATCH: 3 } };
  const audit = (selfCalls: Record<string, number>, agrees: boolean, verdict?: Verdict): AuditRecord => ({
    verdict,
    bpfCalls: kernel,
    selfBpfCalls: { countedBy: 'self', covers: 'read', calls: selfCalls, agrees },
    processBpfCalls: null,
    auditTime: null,
  });
  assert.deepEqual(judged(ok, audit({ LOOKUP_BATCH: 3 }, true)), ok);
  const bad = judged(ok, audit({ LOOKUP_BATCH: 2 }, false));
  assert.equal(bad.ok, false);
  assert.match(bad.problems[0]!, /own count of bpf calls \(LOOKUP_BATCH 2\) differs from the kernel's \(LOOKUP_BATCH 3\)/);
  assert.equal(ok.ok, true, 'the verdict given is not changed');
  const failedAudit = judged(ok, audit({ LOOKUP_BATCH: 3 }, true, { ...ok, ok: false, problems: ['4 entries, expected 5'] }));
  assert.equal(failedAudit.ok, false);
  assert.deepEqual(failedAudit.problems, ['audit read: 4 entries, expected 5']);
  assert.deepEqual(judged(ok, undefined), ok);
});

test('runPeers: one bpfbench row per loop, each audited by the kernel, each with its ratio to C; every count says who counted it', async (t) => {
  if (!requireTool(t, cPeer.name, ready(cPeer))) return;
  const entries = 8192;
  const o = await runPeers(
    { entries, maxEntries: entries, fill: 'batch', mapFlags: 0, kernelCount: true, chunk: 1024, rounds: 2, strategies: ['elem', 'batch'], impls: ['ts', 'c'], loops: ['native', 'js'] },
    silentProgress,
    () => undefined,
  );
  const r = buildPeersResult(o, TOOL);
  assert.equal(r.ok, true, JSON.stringify(r.results.map((x) => x.verified.problems)));
  assert.deepEqual(r.config.loops, ['native', 'js']);
  const rows = r.results.map((x) => `${x.impl}/${x.loop ?? '-'}/${x.strategy}`);
  assert.deepEqual(rows, ['ts/native/elem', 'ts/native/batch', 'ts/js/elem', 'ts/js/batch', 'c/-/elem', 'c/-/batch']);
  const batchCalls = new Set<number>();
  for (const x of r.results) {
    assert.equal(x.runs, 2);
    assert.equal(x.bpfCalls?.countedBy, 'kernel');
    assert.equal(x.bpfCalls?.covers, 'read');
    assert.equal(x.selfBpfCalls?.countedBy, 'self');
    assert.equal(x.selfBpfCalls?.agrees, true);
    assert.ok(x.ratioToC !== null && x.ratioToC > 0);
    if (x.impl === 'ts') assert.equal(x.processBpfCalls, null);
    else assert.equal(x.processBpfCalls?.countedBy, 'kernel');
    if (x.strategy === 'elem') assert.deepEqual(x.bpfCalls!.calls, { GET_NEXT_KEY: entries + 1, LOOKUP_ELEM: entries });
    else {
      assert.deepEqual(Object.keys(x.bpfCalls!.calls), ['LOOKUP_BATCH']);
      batchCalls.add(x.bpfCalls!.calls.LOOKUP_BATCH!);
    }
  }
  assert.equal(batchCalls.size, 1, `one map, the same LOOKUP_BATCH calls for every reader: ${[...batchCalls].join(', ')}`);
  // Each audited read's time split around bpf(2) by the kernel's clock: inside it is within the read, the parts add up.
  for (const x of r.results) {
    const t = x.auditTime;
    assert.ok(t, `${x.impl}/${x.loop ?? '-'}/${x.strategy}: an audit time`);
    assert.ok(t.bpfNs > 0 && t.bpfNs < t.wallNs, `${x.impl} ${x.strategy}: ${t.bpfNs} ns inside bpf(2) of a ${t.wallNs} ns read`);
    assert.equal(t.outsideNs, t.wallNs - t.bpfNs);
    assert.equal(t.outsideNsPerEntry, t.outsideNs / x.verified.entries);
  }
  const table = renderPeers(r, { color: false });
  assert.match(table, /^implementation +strategy +audit read/m);
  assert.match(table, /^C, raw syscalls +elem +[\d,.]+ +[\d,.]+ +[\d,.]+ +[\d.]+ % +1\.00×$/m);
  assert.match(table, /^ts \(native\) +elem +ok/m);
  assert.match(table, /^ts \(js\) +batch\(1024\) +ok/m);
  assert.match(table, new RegExp(`^C, raw syscalls +elem +${entries.toLocaleString('en-US')} LOOKUP_ELEM +=`, 'm'));

  // A peer whose tools are there but that did not build fails the result; one whose tools are missing does not.
  const broken = buildPeersResult({ ...o, skipped: [{ impl: 'go', why: 'the Go peer did not build: main.go:1: syntax error', broken: true }] }, TOOL);
  assert.equal(broken.ok, false);
  assert.match(renderPeers(broken, { color: false }), /^FAILED go: the Go peer did not build/m);
  assert.equal(buildPeersResult({ ...o, skipped: [{ impl: 'go', why: "Go (golang-go) not installed: run 'make deps'", broken: false }] }, TOOL).ok, true);
});

test('runPeers with batch-sharded: bpfbench and the C peer shard with the same threads, every key once, the kernel counting every thread of each', async (t) => {
  if (!requireTool(t, cPeer.name, ready(cPeer))) return;
  const entries = 30_000;
  for (const threads of [1, 3]) {
    const o = await runPeers(
      { entries, maxEntries: entries, fill: 'batch', mapFlags: 0, kernelCount: true, chunk: 256, rounds: 1, strategies: ['batch', 'batch-sharded'], impls: ['ts', 'c'], loops: ['native'], threads },
      silentProgress,
      () => undefined,
    );
    const r = buildPeersResult(o, TOOL);
    assert.equal(r.ok, true, JSON.stringify(r.results.map((x) => [x.impl, x.strategy, x.error, x.verified.problems])));
    assert.equal(r.config.threads, threads);
    const sharded = r.results.filter((x) => x.strategy === 'batch-sharded');
    assert.deepEqual(
      sharded.map((x) => x.impl),
      ['ts', 'c'],
    );
    for (const x of sharded) {
      assert.equal(x.verified.distinct, entries);
      assert.equal(x.verified.entries, entries, `${x.impl}: the overlap removed`);
      assert.equal(x.selfBpfCalls?.agrees, true);
      assert.deepEqual(Object.keys(x.bpfCalls!.calls), ['LOOKUP_BATCH']);
      // Its threads' times in bpf(2) overlap in its wall: no split of the wall around bpf(2), never a negative "outside".
      assert.equal(x.auditTime, null, `${x.impl}: a sharded read's wall is not split`);
    }
    const single = r.results.filter((x) => x.strategy === 'batch');
    for (const x of single) assert.ok(x.auditTime && x.auditTime.outsideNs > 0, `${x.impl} batch: its wall split around bpf(2)`);
    assert.doesNotMatch(renderPeers(r, { color: false }), / -[\d,.]+ /, 'no negative figure in any table');
    // The same map, the same ranges: both made the same calls.
    assert.equal(sharded[0]!.bpfCalls!.calls.LOOKUP_BATCH, sharded[1]!.bpfCalls!.calls.LOOKUP_BATCH);
    assert.match(renderPeers(r, { color: false }), new RegExp(`^C, raw syscalls +batch-sharded\\(256\\)×${threads} +ok`, 'm'));
  }
});

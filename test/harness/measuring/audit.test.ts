// The kernel's audit: one UNTIMED read with the counter attached (the first
// warmup, else a read of its own, bounded on a large map), never a timed
// read; its exact counts, the timed read held against them, and the time
// the audited calls spent in the kernel. Real kernel, real maps.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MapElemAttr } from '../../../src/bpf/syscall/attr.js';
import { Cmd } from '../../../src/bpf/syscall/constants.js';
import { newKernelCounts, type SyscallCounter } from '../../../src/bpf/programs/counter.js';
import type { BpfMap } from '../../../src/bpf/maps/map.js';
import { NativeBlock } from '../../../src/bpf/syscall/native-block.js';
import { bpf } from '../../../src/bpf/syscall/syscall.js';
import { openBenchMap, type BenchMap } from '../../../src/harness/filling/bench-map.js';
import { batchSharded } from '../../../src/strategies/sharded.js';
import { AUDIT_BOUNDS, auditBound, measureStrategy, type AuditBounds, type RepeatPolicy, type StrategyMeasurement } from '../../../src/harness/measuring/measure-strategy.js';
import { silentProgress, type Progress } from '../../../src/harness/measuring/progress.js';
import { Verifier } from '../../../src/harness/verification/verifier.js';
import { strategyResult } from '../../../src/report/result/strategy-result.js';
import { batch } from '../../../src/strategies/batch.js';
import { elemDelete } from '../../../src/strategies/drain.js';
import { elem } from '../../../src/strategies/elem.js';
import { iter } from '../../../src/strategies/iter.js';
import type { Strategy } from '../../../src/strategies/types.js';
import { ITER } from '../../helpers.js';

/** A map made and filled as `run` makes it, with the counter (both programs) loaded, not attached. */
function bench(entries: number, o: { iter?: boolean } = {}): BenchMap {
  return openBenchMap({ entries, maxEntries: entries, fill: 'prog', mapFlags: 0, kernelCount: true, iterProgram: o.iter }, silentProgress);
}

function measure(b: BenchMap, strategy: Strategy, policy: Partial<RepeatPolicy>, extra: { progress?: Progress; auditBounds?: AuditBounds; chunk?: number } = {}): StrategyMeasurement {
  const verifier = new Verifier(b.expect!);
  return measureStrategy({
    map: b.map,
    strategy,
    chunk: extra.chunk ?? 4096,
    sink: verifier,
    policy: { minRuns: 2, maxRuns: 2, budgetMs: 0, warmup: 0, ...policy },
    progress: extra.progress ?? silentProgress,
    counter: b.counter,
    auditBounds: extra.auditBounds,
    iterProgFd: b.iterProgFd,
    refill: () => b.refill!(verifier),
  });
}

/** Deletes the even keys below n (DELETE_ELEM, each checked). */
function deleteEvenKeys(map: BpfMap, n: number): void {
  const m = new NativeBlock(MapElemAttr.SIZE + 8);
  try {
    m.setU32(MapElemAttr.map_fd, map.fd);
    m.setU64(MapElemAttr.key, m.addr + MapElemAttr.SIZE);
    for (let k = 0; k < n; k += 2) {
      m.setU32(MapElemAttr.SIZE, k);
      const r = bpf(Cmd.MAP_DELETE_ELEM, m.addr, MapElemAttr.SIZE);
      if (r !== 0) throw new Error(`delete of ${k}: ${r}`);
    }
  } finally {
    m.free();
  }
}

/**
 * A progress that reads the counter's own mmapped totals as each read
 * starts and ends (the counter is attached before start() and detached
 * before end() for the audited read), keeping what moved per phase.
 */
function watching(counter: SyscallCounter): { progress: Progress; moved: Map<string, { total: number; bpfTotal: number; bpfNs: number }> } {
  const k0 = newKernelCounts();
  const k1 = newKernelCounts();
  const moved = new Map<string, { total: number; bpfTotal: number; bpfNs: number }>();
  let phase = '';
  const ns = (k: typeof k0) => k.bpfNs!.reduce((a, b) => a + b, 0);
  return {
    moved,
    progress: {
      start(p) {
        phase = p;
        counter.read(k0);
      },
      update() {},
      end() {
        counter.read(k1);
        moved.set(phase, { total: k1.total - k0.total, bpfTotal: k1.bpfTotal - k0.bpfTotal, bpfNs: ns(k1) - ns(k0) });
      },
    },
  };
}

test('the audit bound: per-element strategies a prefix above 1Mi entries, the others the whole map up to 4Mi', () => {
  assert.deepEqual(AUDIT_BOUNDS, { prefix: 1 << 20, fullUpTo: 4 << 20 });
  assert.equal(auditBound(elem, 1 << 20), undefined);
  assert.equal(auditBound(elem, (1 << 20) + 1), 1 << 20);
  assert.equal(auditBound(elemDelete, 100 << 20), 1 << 20);
  assert.equal(auditBound(batch, 4 << 20), undefined);
  assert.equal(auditBound(batch, (4 << 20) + 1), 1 << 20);
  assert.equal(auditBound(iter, 100 << 20), 1 << 20);
  // A sharded read makes every call before the sink sees an entry: its audit is always the whole read.
  assert.equal(auditBound(batchSharded, 100 << 20), undefined);
});

test('the counter is detached during timed reads: its own totals do not move in them, and moved in the audit', () => {
  const n = 20_000;
  const b = bench(n);
  try {
    assert.ok(b.counter?.timed, 'run loads both counter programs: counts and kernel time');
    for (const warmup of [0, 2]) {
      const { progress, moved } = watching(b.counter!);
      const m = measure(b, elem, { minRuns: 3, maxRuns: 3, warmup }, { progress });
      assert.equal(m.runs, 3);
      const audited = warmup ? 'elem warmup 1/2' : 'elem audit';
      assert.deepEqual([...moved.keys()], [audited, ...(warmup ? ['elem warmup 2/2'] : []), 'elem run 1', 'elem run 2', 'elem run 3']);
      for (const [phase, d] of moved) {
        if (phase === audited) {
          assert.equal(d.bpfTotal, 2 * n + 1, `${phase}: the audit counted every call of the read`);
          assert.ok(d.bpfNs > 0, `${phase}: and timed them`);
        } else {
          assert.deepEqual(d, { total: 0, bpfTotal: 0, bpfNs: 0 }, `${phase}: the counter saw nothing, not even a syscall`);
        }
      }
      assert.equal(m.audit!.read, warmup ? 'warmup' : 'full');
      assert.deepEqual(m.audit!.kernel.bpf, { GET_NEXT_KEY: n + 1, LOOKUP_ELEM: n });
      for (const s of m.samples) assert.deepEqual(s.bpf, { GET_NEXT_KEY: n + 1, LOOKUP_ELEM: n }, 'the timed reads are self-counted');
    }
  } finally {
    b.close();
  }
});

test('--warmup 0 still audits: an untimed full read, exact kernel counts, matching the timed reads', () => {
  const n = 50_000;
  // The iterator where this kernel loads it (test/harness/measuring/loops.test.ts holds its refusal where it does not).
  const b = bench(n, { iter: ITER });
  try {
    for (const [s, chunk] of [[elem, 0], [batch, 1024], ...(ITER ? [[iter, 0]] : []), [elemDelete, 0]] as [Strategy, number][]) {
      const m = measure(b, s, { warmup: 0 }, { chunk });
      const a = m.audit!;
      assert.equal(m.warmupRuns, 0);
      assert.equal(m.runs, 2, `${s.name}: the audit read is not a timed run`);
      assert.equal(a.read, 'full', s.name);
      assert.equal(a.phase, 'audit');
      assert.equal(a.entries, n);
      assert.equal(a.agree, true, s.name);
      assert.deepEqual(a.kernel.bpf, a.bpf, `${s.name}: kernel == self on the audit read`);
      assert.deepEqual(a.kernel.bpf, m.samples[0]!.bpf, `${s.name}: the audit made run 1's calls exactly`);
      assert.equal(m.matchesAudit, true);
      assert.equal(m.verdict.ok, true, s.name);
      if (s === elem) assert.deepEqual(a.kernel.bpf, { GET_NEXT_KEY: n + 1, LOOKUP_ELEM: n });
      if (s === elemDelete) assert.deepEqual(a.kernel.bpf, { GET_NEXT_KEY: n + 1, LOOKUP_AND_DELETE_ELEM: n });
      if (s === iter) assert.deepEqual(a.kernel.bpf, { ITER_CREATE: 1 });
      // The kernel's time, from the audit read: for the commands called only, a part of its wall time.
      const kt = strategyResult(m).kernelTime!;
      assert.equal(kt.read, 'full');
      assert.deepEqual(Object.keys(kt.nsPerCall).sort(), Object.keys(a.kernel.bpf).sort(), `${s.name}: nsPerCall only for commands called`);
      for (const [cmd, ns] of Object.entries(kt.nsPerCall)) assert.ok(ns > 0, `${s.name} ${cmd}: ${ns} ns/call`);
      assert.ok(kt.fractionOfWall > 0 && kt.fractionOfWall < 1, `${s.name}: ${kt.fractionOfWall} of the audit read in bpf(2)`);
    }
  } finally {
    b.close();
  }
});

test('a prefix audit on a map larger than the bound: elem counts exactly 2 calls per entry delivered, the walk is cut there', () => {
  // 128Ki: a multiple of the native loop's 64Ki hand-over too, so either
  // loop stops right after the bound's entry (JS: per entry; native: the
  // hand-over that reaches it), before another GET_NEXT_KEY.
  const bound = 128 * 1024;
  const n = 200_000;
  const bounds = { prefix: bound, fullUpTo: bound };
  const b = bench(n);
  try {
    const e = measure(b, elem, { warmup: 0 }, { auditBounds: bounds });
    assert.equal(e.audit!.read, 'prefix');
    assert.equal(e.audit!.entries, bound);
    assert.deepEqual(e.audit!.kernel.bpf, { GET_NEXT_KEY: bound, LOOKUP_ELEM: bound });
    assert.equal(e.audit!.kernel.bpfTotal, 2 * bound);
    assert.equal(e.audit!.agree, true);
    assert.deepEqual(e.samples[0]!.bpf, { GET_NEXT_KEY: n + 1, LOOKUP_ELEM: n }, 'the timed read is whole');
    assert.equal(e.matchesAudit, true, 'M, M against N+1, N: the same calls per entry');
    assert.equal(e.verdict.ok, true);
    const r = strategyResult(e);
    assert.deepEqual(r.syscalls.audit!.kernel.bpf, { GET_NEXT_KEY: bound, LOOKUP_ELEM: bound });
    assert.equal(r.syscalls.kernelCountedRead, 'audit');
    assert.ok(r.kernelTime!.fractionOfWall > 0 && r.kernelTime!.fractionOfWall < 1);

    // Batches: cut after the call whose entries reach the bound.
    const bt = measure(b, batch, { warmup: 0 }, { auditBounds: bounds, chunk: 4096 });
    const a = bt.audit!;
    assert.equal(a.read, 'prefix');
    assert.ok(a.entries >= bound && a.entries < bound + 64 * 1024, `${a.entries} entries`);
    assert.deepEqual(a.kernel.bpf, a.bpf);
    assert.equal(a.agree, true);
    assert.ok(a.kernel.bpf.LOOKUP_BATCH! < bt.samples[0]!.bpf.LOOKUP_BATCH!);
    assert.equal(bt.matchesAudit, true);
    assert.equal(bt.verdict.ok, true);

    // A drain cut short: the next read starts from a refilled map, and is whole.
    const d = measure(b, elemDelete, { warmup: 0 }, { auditBounds: bounds });
    assert.equal(d.audit!.read, 'prefix');
    assert.equal(d.audit!.entries, bound);
    assert.deepEqual(d.audit!.kernel.bpf, { GET_NEXT_KEY: bound + 1, LOOKUP_AND_DELETE_ELEM: bound });
    assert.deepEqual(d.samples[0]!.bpf, { GET_NEXT_KEY: n + 1, LOOKUP_AND_DELETE_ELEM: n });
    assert.equal(d.matchesAudit, true);
    assert.equal(d.verdict.ok, true, d.verdict.problems.join('; '));
    b.refill!(new Verifier(b.expect!));
  } finally {
    b.close();
  }
});

test("a map that changes after the audit: the timed read's counts are not the audit's, and say so", () => {
  const n = 30_000;
  const b = bench(n);
  try {
    // Half the keys deleted once the audit (the first warmup) is done: the
    // second warmup's progress start is the moment.
    let deleted = false;
    const progress: Progress = {
      start(phase) {
        if (phase === 'elem warmup 2/2' && !deleted) {
          deleted = true;
          deleteEvenKeys(b.map, n);
        }
      },
      update() {},
      end() {},
    };
    const verifier = new Verifier(b.expect!);
    const m = measureStrategy({ map: b.map, strategy: elem, chunk: 0, sink: verifier, policy: { minRuns: 1, maxRuns: 1, budgetMs: 0, warmup: 2 }, progress, counter: b.counter });
    assert.equal(m.audit!.agree, true, 'the audit itself agreed');
    assert.deepEqual(m.audit!.kernel.bpf, { GET_NEXT_KEY: n + 1, LOOKUP_ELEM: n });
    assert.equal(m.matchesAudit, false);
    const r = strategyResult(m);
    assert.equal(r.syscalls.agree, true);
    assert.equal(r.syscalls.matchesAudit, false, 'agree: true never stands alone next to other numbers');
    assert.equal(r.syscalls.read, 'warmup 2/2', 'the read that failed, counted by bpfbench');
    assert.deepEqual(r.syscalls.bpf, { GET_NEXT_KEY: n / 2 + 1, LOOKUP_ELEM: n / 2 });
  } finally {
    b.close();
  }
});

test('a chunk that ENOSPC grows during the audited warmup: audited again at the grown chunk, so the timed reads match it', () => {
  const b = bench(1 << 14);
  try {
    const m = measure(b, batch, { warmup: 1 }, { chunk: 1 });
    assert.ok(m.samples[0]!.chunkGrowths > 0, 'the chunk grew');
    assert.equal(m.audit!.read, 'full', 'a read of its own, after the warmup that grew the chunk');
    assert.equal(m.audit!.agree, true);
    assert.equal(m.matchesAudit, true);
    // The kernel counted what run 1 made, call for call: no failed ENOSPC calls of the growth in it.
    assert.deepEqual(m.audit!.kernel.bpf, m.samples[0]!.bpf);
    assert.equal(strategyResult(m).syscalls.matchesAudit, true);
  } finally {
    b.close();
  }
});

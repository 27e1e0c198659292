// The measured run: repeats, per-read accounting, and a failed read stopping
// the repeats.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measureStrategy } from '../../../src/harness/measuring/measure-strategy.js';
import { silentProgress } from '../../../src/harness/measuring/progress.js';
import { Verifier } from '../../../src/harness/verification/verifier.js';
import { batch } from '../../../src/strategies/batch.js';
import { batchFixedCursor } from '../../../src/strategies/batch-fixed-cursor.js';
import { elem } from '../../../src/strategies/elem.js';
import type { Strategy } from '../../../src/strategies/types.js';
import { filledHashMap, VALUE } from '../../helpers.js';

const N = 20_000;

/** A verifier that notes, on its own clock, when each read was reset and judged, and when its first and last entries came. */
class ClockedVerifier extends Verifier {
  readonly reads: { reset: bigint; first: bigint; last: bigint; judged: bigint }[] = [];
  private cur = { reset: 0n, first: 0n, last: 0n, judged: 0n };
  override reset(progress?: (n: number) => void): void {
    this.cur = { reset: process.hrtime.bigint(), first: 0n, last: 0n, judged: 0n };
    super.reset(progress);
  }
  private mark(): void {
    const t = process.hrtime.bigint();
    if (!this.cur.first) this.cur.first = t;
    this.cur.last = t;
  }
  override add(key: number, value: number): void {
    this.mark();
    super.add(key, value);
  }
  override addMany(keys: Uint32Array, values: Int32Array, n: number): void {
    this.mark();
    super.addMany(keys, values, n);
    this.mark();
  }
  override addRaw(keyBytes: Uint8Array, ko: number, valueBytes: Uint8Array, vo: number): void {
    this.mark();
    super.addRaw(keyBytes, ko, valueBytes, vo);
  }
  override verdict() {
    this.cur.judged = process.hrtime.bigint();
    this.reads.push(this.cur);
    return super.verdict();
  }
}

test('a fixed run count measures exactly that many verified reads, plus warmup', () => {
  const map = filledHashMap(N);
  try {
    // Every entry through add* (native: false), so the sink's clock sees when they came; the native loop's check in C is held to the same verdicts elsewhere (test/bpf/native/native-check.test.ts).
    const v = new ClockedVerifier({ entries: N, value: VALUE }, { native: false });
    const m = measureStrategy({ map, strategy: elem, chunk: 4096, sink: v, policy: { minRuns: 3, maxRuns: 3, budgetMs: 0, warmup: 1 }, progress: silentProgress });
    assert.equal(m.runs, 3);
    assert.equal(m.warmupRuns, 1);
    assert.equal(m.samples.length, 3);
    assert.equal(m.failed, false);
    assert.equal(m.verdict.ok, true);
    for (const s of m.samples) {
      assert.deepEqual(s.bpf, { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N });
      assert.ok(s.wallNs > 0 && s.userNs + s.sysNs > 0);
      assert.equal(s.counted, N);
    }
    // tinybench timed every measured read, the first included, and nothing else.
    assert.deepEqual(
      m.wallNs.samples,
      m.samples.map((s) => s.wallNs),
    );
    // Each read's time, on the sink's own clock: at least from its first entry to its last, at most from its reset to its verdict.
    const timed = v.reads.slice(-3);
    assert.equal(v.reads.length, 4, 'the warmup and three reads');
    m.samples.forEach((s, i) => {
      const r = timed[i]!;
      assert.ok(r.first > r.reset && r.last >= r.first && r.judged > r.last, `read ${i + 1}: its entries came between its reset and its verdict`);
      assert.ok(s.wallNs >= Number(r.last - r.first), `read ${i + 1}: ${s.wallNs} ns, entries over ${Number(r.last - r.first)} ns`);
      assert.ok(s.wallNs <= Number(r.judged - r.reset), `read ${i + 1}: ${s.wallNs} ns, reset to verdict ${Number(r.judged - r.reset)} ns`);
    });
    const walls = m.wallNs.samples;
    const close = (x: number, y: number) => Math.abs(x - y) <= 1e-12 * y;
    assert.ok(close(m.wallNs.min, Math.min(...walls)) && close(m.wallNs.max, Math.max(...walls)), `${m.wallNs.min}…${m.wallNs.max} vs ${walls.join(', ')}`);
    assert.ok(close(m.wallNs.mean, walls.reduce((a, b) => a + b, 0) / 3), `mean ${m.wallNs.mean}`);
    assert.equal(m.callsVaried, false);
  } finally {
    map.close();
  }
});

test('auto runs: one read when the next would overrun the budget', () => {
  const map = filledHashMap(N);
  try {
    const v = new Verifier({ entries: N, value: VALUE });
    // A budget of 1 ms: any second read would end past it.
    const m = measureStrategy({ map, strategy: elem, chunk: 4096, sink: v, policy: { minRuns: 1, maxRuns: 10, budgetMs: 1, warmup: 0 }, progress: silentProgress });
    assert.equal(m.runs, 1);
    const m3 = measureStrategy({ map, strategy: elem, chunk: 4096, sink: v, policy: { minRuns: 3, maxRuns: 10, budgetMs: 1, warmup: 0 }, progress: silentProgress });
    assert.equal(m3.runs, 3, 'the minimum is kept whatever the budget');
  } finally {
    map.close();
  }
});

test('auto runs stop at maxRuns when reads are quick', () => {
  const map = filledHashMap(N);
  try {
    const v = new Verifier({ entries: N, value: VALUE });
    const m = measureStrategy({ map, strategy: batch, chunk: 4096, sink: v, policy: { minRuns: 1, maxRuns: 4, budgetMs: 60_000, warmup: 0 }, progress: silentProgress });
    assert.equal(m.runs, 4);
  } finally {
    map.close();
  }
});

test('a read that fails verification is not repeated and is reported failed', () => {
  const map = filledHashMap(N);
  // A reader that skips the last entry of every batch.
  const lossy: Strategy = {
    name: 'lossy',
    summary: 'test only',
    usesChunk: true,
    prepare(m, o) {
      const c = m.batches(o.chunk);
      return {
        read(sink) {
          c.reset();
          let counted = 0;
          for (const b of c) {
            sink.addMany(b.keysU32, b.valuesI32, b.count - 1);
            counted += b.count - 1;
          }
          return { counted };
        },
        free: () => c.free(),
      };
    },
  };
  try {
    const v = new Verifier({ entries: N, value: VALUE });
    const m = measureStrategy({ map, strategy: lossy, chunk: 1024, sink: v, policy: { minRuns: 5, maxRuns: 5, budgetMs: 0, warmup: 0 }, progress: silentProgress });
    assert.equal(m.failed, true);
    assert.equal(m.runs, 1, 'stopped after the first wrong read');
    assert.equal(m.verdict.ok, false);
  } finally {
    map.close();
  }
});

test('the published loop is measured for every run, and fails', () => {
  const map = filledHashMap(N);
  try {
    const v = new Verifier({ entries: N, value: VALUE });
    const m = measureStrategy({ map, strategy: batchFixedCursor, chunk: 1000, sink: v, policy: { minRuns: 2, maxRuns: 2, budgetMs: 0, warmup: 1 }, progress: silentProgress });
    assert.equal(m.runs, 2);
    assert.equal(m.verdict.ok, false);
    assert.equal(m.failed, false, 'expected to fail: not an unexpected failure');
  } finally {
    map.close();
  }
});

test('allocated bytes: < 1 B/entry and no GC for elem and batch at 1Mi, and they grow with a strategy that allocates', () => {
  // The target holds at 1Mi entries and above: a read may still carry a
  // one-off allocation of V8's own (a compilation, ~256 KiB seen), which
  // per entry is below 1 B only on a map this size.
  const n = 1 << 20;
  const map = filledHashMap(n);
  const small = 1 << 18;
  const smallMap = filledHashMap(small);
  // Test only: keeps an object per entry, as a careless reader would.
  let garbage: number[] = [];
  const hoarder: Strategy = {
    name: 'hoarder',
    summary: 'test only',
    usesChunk: true,
    prepare(m, o) {
      const c = m.batches(o.chunk);
      return {
        read(sink) {
          c.reset();
          const kept: { k: number; v: number }[] = [];
          for (const b of c) {
            for (let i = 0; i < b.count; i++) {
              kept.push({ k: b.keysU32[i]!, v: b.valuesI32[i]! });
              garbage = new Array(8).fill(i);
              sink.add(b.keysU32[i]!, b.valuesI32[i]!);
            }
          }
          return { counted: kept.length };
        },
        free: () => c.free(),
      };
    },
  };
  try {
    const v = new Verifier({ entries: n, value: VALUE });
    const policy = { minRuns: 2, maxRuns: 2, budgetMs: 0, warmup: 1 };
    for (const s of [elem, batch]) {
      const m = measureStrategy({ map, strategy: s, chunk: 4096, sink: v, policy, progress: silentProgress });
      for (const r of m.samples) {
        assert.ok(r.memory.allocatedBytes / n < 1, `${s.name}: ${r.memory.allocatedBytes} B allocated for ${n} entries`);
        assert.equal(r.memory.gcCount, 0, `${s.name}: no GC`);
      }
    }
    const h = measureStrategy({ map: smallMap, strategy: hoarder, chunk: 4096, sink: new Verifier({ entries: small, value: VALUE }), policy, progress: silentProgress });
    assert.ok(garbage.length === 8);
    for (const r of h.samples) {
      assert.ok(r.memory.allocatedBytes / small > 16, `hoarder: ${r.memory.allocatedBytes} B for ${small} entries`);
      assert.ok(r.memory.gcCount > 0, 'hoarder triggers GCs');
      assert.ok(r.memory.gcPauseNs > 0);
    }
  } finally {
    map.close();
    smallMap.close();
  }
});

test('the kernel counter audits the first read only (the warmup), and agrees', async () => {
  const { BpfObject } = await import('../../../src/bpf/programs/loader.js');
  const { COUNTER_PROGS, SyscallCounter } = await import('../../../src/bpf/programs/counter.js');
  const { MAP_NAME } = await import('../../../src/harness/filling/bench-map.js');
  const obj = BpfObject.open();
  obj.configureMap(MAP_NAME, { maxEntries: 1 });
  obj.autoloadOnly(COUNTER_PROGS);
  obj.load();
  const counter = new SyscallCounter(obj);
  const map = filledHashMap(N);
  try {
    const v = new Verifier({ entries: N, value: VALUE });
    const m = measureStrategy({ map, strategy: elem, chunk: 4096, sink: v, policy: { minRuns: 2, maxRuns: 2, budgetMs: 0, warmup: 1 }, progress: silentProgress, counter });
    assert.ok(m.audit, 'audited');
    assert.equal(m.audit!.read, 'warmup');
    assert.equal(m.audit!.phase, 'warmup 1/1');
    assert.equal(m.audit!.entries, N);
    assert.equal(m.audit!.agree, true);
    assert.equal(m.matchesAudit, true);
    assert.ok(m.audit!.kernel.bpfNs!.GET_NEXT_KEY! > 0 && m.audit!.kernel.bpfNs!.LOOKUP_ELEM! > 0, 'timed in the kernel');
    assert.deepEqual(m.audit!.kernel.bpf, { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N });
    // The timed reads ran without the tracepoint: only the warmup was audited.
    assert.equal(m.samples.length, 2);
  } finally {
    map.close();
    counter.close();
    obj.close();
  }
});

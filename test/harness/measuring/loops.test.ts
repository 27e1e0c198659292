// The two read loops, --loop native and --loop js, measured by the harness
// on the same real maps: every strategy on every small-map shape is verified
// with exact call counts (the kernel's audit agreeing with bpfbench's own),
// and the two loops' measurements agree with each other: the same verdict,
// the same calls per command read by read, the same counted/chunk/growths.
// And: the loop is named in the run's result; without the native library a
// run fails with one line before any map is made.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkTooSmallError } from '../../../src/bpf/maps/batch-cursor.js';
import { MapFlag, type MapTypeName } from '../../../src/bpf/syscall/constants.js';
import { nextPow2 } from '../../../src/bpf/maps/map-types.js';
import { NATIVE_NOT_BUILT, setNativeLibPath } from '../../../src/bpf/native/native-library.js';
import { callsSince, snapshotCalls } from '../../../src/bpf/syscall/syscall.js';
import { UsageError } from '../../../src/errors.js';
import { openBenchMap, type MapConfig } from '../../../src/harness/filling/bench-map.js';
import { measureStrategy, type StrategyMeasurement } from '../../../src/harness/measuring/measure-strategy.js';
import { silentProgress, type Progress } from '../../../src/harness/measuring/progress.js';
import { runBenchmark, type RunConfig } from '../../../src/harness/measuring/run-benchmark.js';
import { runSweep } from '../../../src/harness/measuring/run-sweep.js';
import { Verifier } from '../../../src/harness/verification/verifier.js';
import { NATIVE_LIB } from '../../../src/paths.js';
import { buildRunResult } from '../../../src/report/result/result.js';
import { batch } from '../../../src/strategies/batch.js';
import { elem } from '../../../src/strategies/elem.js';
import { iter } from '../../../src/strategies/iter.js';
import { READ_LOOPS, STRATEGIES, type ReadLoop, type Strategy } from '../../../src/strategies/index.js';
import { predictWalk, zeroSeedBuckets } from '../../bpf/maps/zero-seed.js';
import { allowedStrategies, ITER, ITER_REFUSAL } from '../../helpers.js';

interface Shape {
  name: string;
  config: Partial<MapConfig> & { mapType: MapTypeName };
}

const N = 3000;
const SHAPES: Shape[] = [
  { name: 'u32 hash', config: { mapType: 'hash' } },
  { name: 'zero-seed hash', config: { mapType: 'hash', mapFlags: MapFlag.ZERO_SEED } },
  { name: 'array', config: { mapType: 'array' } },
  { name: 'percpu_hash value 8', config: { mapType: 'percpu_hash', valueSize: 8 } },
  { name: 'hash key 16', config: { mapType: 'hash', keySize: 16 } },
  { name: 'lru_hash', config: { mapType: 'lru_hash' } },
];

function mapConfig(shape: Shape): MapConfig {
  return { keySize: 4, valueSize: 4, entries: N, maxEntries: N, fill: 'batch', mapFlags: 0, kernelCount: true, iterProgram: ITER, ...shape.config };
}

const POLICY = { minRuns: 2, maxRuns: 2, budgetMs: 0, warmup: 1 };
const BATCH_CMD: Record<string, string> = { batch: 'LOOKUP_BATCH', 'batch-fixed-cursor': 'LOOKUP_BATCH', 'batch-delete': 'LOOKUP_AND_DELETE_BATCH' };

/**
 * A measured read's batch walk on the zero-seed map: it follows the warmup
 * read, whose ENOSPC growths the chunk keeps (the chunk grows once per
 * prepared read), so it starts from the chunk the first walk ended with.
 */
function measuredWalk(maxEntries: number, chunk: number): { calls: number; chunk: number; growths: number } {
  const buckets = zeroSeedBuckets(N, maxEntries);
  const first = predictWalk(buckets, chunk, true);
  const again = predictWalk(buckets, first.chunk, true);
  assert.equal(again.growths, 0);
  return { calls: again.calls, chunk: first.chunk, growths: first.growths };
}

/** The exact calls of one measured read of `e` entries where they follow from the strategy alone (else undefined). */
function exactCalls(s: Strategy, e: number, maxEntries: number, chunk: number, zeroSeed: boolean, array = false): Record<string, number> | undefined {
  switch (s.name) {
    case 'elem':
      return { GET_NEXT_KEY: e + 1, LOOKUP_ELEM: e };
    case 'elem-delete':
      return { GET_NEXT_KEY: e + 1, LOOKUP_AND_DELETE_ELEM: e };
    case 'iter':
      return { ITER_CREATE: 1 };
    case 'batch-fixed-cursor':
      return { LOOKUP_BATCH: Math.max(1, Math.floor(maxEntries / chunk)) };
    case 'batch':
    case 'batch-delete':
      // An array's walk is by index: full chunks, then the call that meets the end (ENOENT, maybe with none).
      if (array) return { LOOKUP_BATCH: Math.floor(e / chunk) + 1 };
      // A zero seed fixes the bucket layout: the walk is computed as the kernel makes it.
      return zeroSeed ? { [BATCH_CMD[s.name]!]: measuredWalk(maxEntries, chunk).calls } : undefined;
  }
  return undefined;
}

/** A verdict without the name of the code that judged it (the native loop's is checked in C, the js loop's in TypeScript). */
const judged = ({ checkedBy: _by, ...v }: StrategyMeasurement['verdict']) => v;

/** What two loops' measurements of the same strategy must share, read by read. */
function comparable(m: StrategyMeasurement) {
  return {
    label: m.label,
    runs: m.runs,
    warmupRuns: m.warmupRuns,
    verdict: judged(m.verdict),
    callsVaried: m.callsVaried,
    note: m.note,
    audit: m.audit && { read: m.audit.read, bpf: m.audit.bpf, kernelBpf: m.audit.kernel.bpf, agree: m.audit.agree },
    samples: m.samples.map((s) => ({ bpf: s.bpf, counted: s.counted, chunk: s.chunk, chunkGrowths: s.chunkGrowths, verdict: judged(s.verdict) })),
  };
}

for (const shape of SHAPES) {
  test(`${shape.name}: every strategy in both loops, exact counts, the loops agree`, () => {
    const config = mapConfig(shape);
    const bench = openBenchMap(config, silentProgress);
    try {
      const map = bench.map;
      const verifier = new Verifier(bench.expect!);
      const refill = () => bench.refill!(verifier);
      const zeroSeed = (config.mapFlags & MapFlag.ZERO_SEED) !== 0;
      const lru = shape.config.mapType.startsWith('lru');
      const array = shape.config.mapType === 'array';
      assert.ok(bench.counter, 'the kernel counter audits the first read of each measurement');
      // Every strategy this kernel allows (the iterator only where it loads: the test below holds its refusal).
      // Sharded strategies run in the native loop only (test/strategies/sharded.test.ts reads them).
      for (const strategy of allowedStrategies(STRATEGIES).filter((x) => !x.usesThreads)) {
        if (array && strategy.drains) continue;
        // Chunk 2 makes a hash bucket overflow the chunk: ENOSPC growth, in both loops.
        const chunks = strategy.usesChunk && !strategy.expectedToFail && !array ? [64, 2] : [64];
        for (const chunk of chunks) {
          const by = new Map<ReadLoop, StrategyMeasurement>();
          for (const loop of READ_LOOPS) {
            const m = measureStrategy({ map, strategy, chunk, sink: verifier, policy: POLICY, progress: silentProgress, counter: bench.counter, iterProgFd: bench.iterProgFd, refill, loop });
            if (strategy.drains) refill();
            by.set(loop, m);
            const what = `${m.label}, ${loop} loop`;
            assert.equal(m.runs, 2, what);
            assert.equal(m.verdict.ok, !strategy.expectedToFail, `${what}: ${m.verdict.problems.join('; ')}`);
            assert.equal(m.audit?.agree, true, `${what}: the kernel counted ${JSON.stringify(m.audit?.kernel.bpf)}, bpfbench ${JSON.stringify(m.audit?.bpf)}`);
            for (const s of m.samples) {
              const e = s.verdict.entries;
              if (!lru) assert.equal(strategy.expectedToFail ? s.verdict.expectedEntries : e, array ? map.maxEntries : N, what);
              const exact = exactCalls(strategy, e, map.maxEntries, chunk, zeroSeed, array);
              if (exact) assert.deepEqual(s.bpf, exact, what);
              if (!strategy.expectedToFail) assert.equal(s.counted, e, `${what}: counted`);
              if (BATCH_CMD[strategy.name]) {
                const calls = s.bpf[BATCH_CMD[strategy.name]!]!;
                assert.deepEqual(Object.keys(s.bpf), [BATCH_CMD[strategy.name]], what);
                if (!strategy.expectedToFail) assert.ok(calls >= Math.ceil(e / s.chunk!) && calls <= nextPow2(map.maxEntries) + 1 + s.chunkGrowths, `${what}: ${calls} calls`);
                if (zeroSeed && !strategy.expectedToFail) {
                  const p = measuredWalk(map.maxEntries, chunk);
                  assert.equal(s.chunk, p.chunk, `${what}: chunk`);
                  assert.equal(s.chunkGrowths, p.growths, `${what}: growths`);
                }
                if (chunk === 2 && !array) assert.ok(s.chunkGrowths > 0, `${what}: a bucket outgrew chunk 2`);
              }
            }
          }
          const js = by.get('js')!;
          const native = by.get('native')!;
          // LRU maps may keep another set after each drain's refill: the same counts per entry then, not the same entries.
          if (lru && strategy.drains) {
            for (const m of [js, native]) for (const s of m.samples) assert.deepEqual(s.bpf, exactCalls(strategy, s.verdict.entries, map.maxEntries, chunk, false) ?? s.bpf);
          } else {
            assert.deepEqual(comparable(native), comparable(js), `${strategy.name}(${chunk}): native == js`);
          }
          // The same verdicts, from two checkers: the native loop's reads were checked in C, the js loop's in TypeScript.
          assert.deepEqual([...new Set(js.samples.map((s) => s.verdict.checkedBy))], ['js'], `${strategy.name}(${chunk}): js loop`);
          assert.deepEqual([...new Set(native.samples.map((s) => s.verdict.checkedBy))], ['native'], `${strategy.name}(${chunk}): native loop`);
        }
      }
    } finally {
      bench.close();
    }
  });
}

test('the iterator where this kernel refuses it: one line naming it, before any map; the rest of a default list still reads', () => {
  const asNamed = { ...runConfig(undefined, { strategies: [elem, iter], strategiesNamed: true }) };
  const asDefault = { ...runConfig(undefined, { strategies: [elem, iter] }) };
  if (ITER) {
    const o = runBenchmark(asNamed, { progress: silentProgress });
    assert.deepEqual(
      o.measurements.map((m) => [m.strategy.name, m.verdict.ok]),
      [
        ['elem', true],
        ['iter', true],
      ],
    );
    assert.deepEqual(o.unavailable, []);
    return;
  }
  const phases: string[] = [];
  const progress: Progress = { ...silentProgress, start: (phase) => void phases.push(phase) };
  assert.throws(
    () => runBenchmark(asNamed, { progress }),
    (e: Error) => e instanceof UsageError && ITER_REFUSAL.test(e.message) && !e.message.includes('\n'),
  );
  assert.deepEqual(phases, [], 'refused before any map was made');
  const o = runBenchmark(asDefault, { progress: silentProgress });
  assert.deepEqual(
    o.measurements.map((m) => [m.strategy.name, m.verdict.ok]),
    [['elem', true]],
  );
  assert.match(`iter: ${o.unavailable[0]!.reason}`, ITER_REFUSAL);
});

test('--strict-chunk: a bucket larger than the chunk fails both loops alike, after the same calls', () => {
  const bench = openBenchMap(mapConfig(SHAPES[1]!), silentProgress);
  try {
    const verifier = new Verifier(bench.expect!);
    const outcomes = READ_LOOPS.map((loop) => {
      const p = batch.prepare(bench.map, { chunk: 1, strictChunk: true, loop });
      try {
        verifier.reset();
        const before = snapshotCalls();
        let error: unknown;
        try {
          p.read(verifier);
        } catch (e) {
          error = e;
        }
        assert.ok(error instanceof ChunkTooSmallError, `${loop}: ${String(error)}`);
        return { calls: callsSince(before), chunk: error.chunk, message: error.message, entries: verifier.verdict().entries };
      } finally {
        p.free();
      }
    });
    assert.deepEqual(outcomes[0], outcomes[1]);
    assert.equal(outcomes[0]!.chunk, 1);
  } finally {
    bench.close();
  }
});

function runConfig(loop?: ReadLoop, extra: Partial<RunConfig> = {}): RunConfig {
  return {
    source: { kind: 'create' },
    entries: 4096,
    maxEntries: 4096,
    chunk: 256,
    strategies: [elem, batch],
    fill: 'batch',
    mapFlags: 0,
    repeat: { minRuns: 1, maxRuns: 1, budgetMs: 0, warmup: 0 },
    runsSetting: 1,
    kernelCount: false,
    ...(loop ? { loop } : {}),
    ...extra,
  };
}

const tool = { name: 'bpfbench', version: '0.0.0' };

test("the run's result names its loop: native by default, js when asked", () => {
  for (const [loop, named] of [
    [undefined, 'native'],
    ['native', 'native'],
    ['js', 'js'],
  ] as const) {
    const o = runBenchmark(runConfig(loop), { progress: silentProgress });
    const r = buildRunResult(o, tool);
    assert.equal(r.config.loop, named);
    assert.equal(r.summary.ok, true, r.summary.line);
    assert.deepEqual(r.results[0]!.syscalls.bpf, { GET_NEXT_KEY: 4097, LOOKUP_ELEM: 4096 });
  }
});

test('without the native library a run and a sweep fail with one line before any map is made; js runs', () => {
  // A progress that records every phase: creating or filling a map would start one.
  const phases: string[] = [];
  const spy: Progress = { ...silentProgress, start: (what: string) => void phases.push(what) };
  setNativeLibPath('/nonexistent/libbpfbench.so');
  try {
    // 4Gi-1 entries: had the map been planned first, the memory check would have refused it instead.
    const huge = { entries: 0xffff_ffff, maxEntries: 0xffff_ffff };
    const notBuilt = (e: unknown) => e instanceof UsageError && e.reason === 'cannot-run' && e.message === NATIVE_NOT_BUILT;
    assert.throws(() => runBenchmark(runConfig('native', huge), { progress: spy }), notBuilt);
    assert.throws(() => runBenchmark(runConfig(undefined, huge), { progress: spy }), notBuilt, 'native is the default');
    assert.throws(
      () => runSweep({ entries: [0xffff_ffff], chunks: [64], strategies: [batch], withElem: true, repeat: POLICY, fill: 'batch', mapFlags: 0, kernelCount: false, loop: 'native' }, spy),
      notBuilt,
    );
    assert.deepEqual(phases, []);
    const o = runBenchmark(runConfig('js'), { progress: silentProgress });
    assert.equal(buildRunResult(o, tool).summary.ok, true);
  } finally {
    setNativeLibPath(NATIVE_LIB);
  }
});

// Call latency on the real kernel, for every strategy in both read loops:
// each measured read carries a sane histogram (p50 ≤ p90 ≤ p99 ≤ p99.9 ≤
// max, durations > 0) of exactly the calls it made (one in sampledEvery,
// the first of each read included), the warmup's not merged in; iter times
// its read(2) calls, the same number in both loops; the result's JSON and
// tables carry it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GCProfiler } from 'node:v8';
import { LatencyHistogram, SAMPLE_EVERY } from '../../../src/bpf/native/latency.js';
import { openBenchMap, type MapConfig } from '../../../src/harness/filling/bench-map.js';
import { measureStrategy, type StrategyMeasurement } from '../../../src/harness/measuring/measure-strategy.js';
import { silentProgress } from '../../../src/harness/measuring/progress.js';
import { Verifier } from '../../../src/harness/verification/verifier.js';
import { strategyResult } from '../../../src/report/result/strategy-result.js';
import { elem } from '../../../src/strategies/elem.js';
import { READ_LOOPS, STRATEGIES, type ReadLoop } from '../../../src/strategies/index.js';
import { allowedStrategies, ITER } from '../../helpers.js';

const N = 20_000;
const POLICY = { minRuns: 2, maxRuns: 2, budgetMs: 0, warmup: 1 };
const CONFIG: MapConfig = { mapType: 'hash', keySize: 4, valueSize: 4, entries: N, maxEntries: N, fill: 'batch', mapFlags: 0, kernelCount: false, iterProgram: ITER };

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

test('every strategy in both loops: a sane histogram per measured read, of exactly the calls made, merged over the runs', () => {
  const bench = openBenchMap(CONFIG, silentProgress);
  try {
    const verifier = new Verifier(bench.expect!);
    const refill = () => bench.refill!(verifier);
    // Every strategy this kernel allows (the iterator where it loads).
    // Sharded strategies run in the native loop only, and time no call: each thread would need a histogram of its own.
    for (const strategy of allowedStrategies(STRATEGIES).filter((x) => !x.usesThreads)) {
      for (const chunk of strategy.usesChunk && !strategy.expectedToFail ? [4096, 8] : [4096]) {
        const iterReads = new Map<ReadLoop, number[]>();
        for (const loop of READ_LOOPS) {
          const m: StrategyMeasurement = measureStrategy({ map: bench.map, strategy, chunk, sink: verifier, policy: POLICY, progress: silentProgress, iterProgFd: bench.iterProgFd, refill, loop });
          if (strategy.drains) refill();
          const what = `${m.label}, ${loop} loop`;
          assert.equal(m.samples.length, 2, what);
          const every = strategy.usesChunk && chunk >= 64 ? 1 : strategy.needsIterProgram ? 1 : SAMPLE_EVERY;
          for (const s of m.samples) {
            const l = s.callLatency;
            assert.ok(l, `${what}: ${s.phase} has a histogram`);
            assert.equal(l.sampledEvery, every, what);
            const x = l.summary();
            assert.ok(x.p50 > 0 && x.p50 <= x.p90 && x.p90 <= x.p99 && x.p99 <= x.p999 && x.p999 <= x.max, `${what}: ${JSON.stringify(x)}`);
            assert.ok(x.max < 60e9, `${what}: no call took a minute`);
            const calls = sum(s.bpf);
            if (strategy.needsIterProgram) {
              // read(2) calls, not bpf calls (the one ITER_CREATE is outside the timed calls).
              assert.deepEqual(s.bpf, { ITER_CREATE: 1 });
              assert.ok(l.count >= 2, `${what}: ${l.count} read(2) calls`);
              iterReads.set(loop, [...(iterReads.get(loop) ?? []), l.count]);
            } else if (!(loop === 'js' && every > 1 && strategy.usesChunk && s.chunkGrowths > 0)) {
              assert.equal(l.count, Math.ceil(calls / every), `${what}: ${l.count} timed of ${calls} calls, 1 in ${every}`);
            } else {
              // A JS step that grew the chunk made several calls: all timed or none.
              assert.ok(l.count >= Math.ceil(calls / every) - s.chunkGrowths && l.count <= calls, `${what}: ${l.count} of ${calls}`);
            }
          }
          const merged = m.callLatency!;
          assert.equal(merged.count, m.samples[0]!.callLatency!.count + m.samples[1]!.callLatency!.count, `${what}: the two measured reads, not the warmup`);
          assert.equal(merged.max, Math.max(...m.samples.map((s) => s.callLatency!.max)));
          // The JSON, held against what other code measured: the calls (bpfbench's count of the syscalls), the
          // reads' wall clock (hrtime, around the read): no call is longer than its read, the timed calls together
          // take no longer than the reads, and every timed call's bucket is at most 0.8 % above it.
          const json = strategyResult(m).callLatency!;
          assert.equal(json.sampledEvery, every);
          if (!strategy.needsIterProgram && !(loop === 'js' && every > 1 && strategy.usesChunk && m.samples.some((s) => s.chunkGrowths > 0))) {
            assert.equal(
              json.count,
              m.samples.reduce((a, s) => a + Math.ceil(sum(s.bpf) / every), 0),
              `${what}: timed calls from the syscall count`,
            );
          }
          assert.ok(json.max <= Math.max(...m.samples.map((s) => s.wallNs)), `${what}: the longest call ${json.max} ns within its read`);
          assert.ok(json.mean! * json.count <= m.samples.reduce((a, s) => a + s.wallNs, 0), `${what}: timed calls within the reads' wall time`);
        }
        if (strategy.needsIterProgram) assert.deepEqual(iterReads.get('native'), iterReads.get('js'), 'iter: the same read(2) calls in both loops');
      }
    }
  } finally {
    bench.close();
  }
});

test('timing the JS loop allocates nothing: no GC in a per-element read of 256Ki entries, whatever the sampling', () => {
  const n = 1 << 18;
  const bench = openBenchMap({ ...CONFIG, entries: n, maxEntries: n, iterProgram: false }, silentProgress);
  try {
    const sink = new Verifier(bench.expect!);
    // Several prepared reads one after the other, as a run and the overhead script make them.
    for (const every of [0, SAMPLE_EVERY, 1]) {
      const p = elem.prepare(bench.map, { chunk: 1, loop: 'js', latencyEvery: every });
      try {
        for (let read = 0; read < 2; read++) {
          sink.reset();
          const gc = new GCProfiler();
          gc.start();
          const rep = p.read(sink);
          const gcs = gc.stop()?.statistics.length ?? 0;
          assert.equal(sink.verdict().ok, true);
          const timed = rep.callLatency ? LatencyHistogram.of(rep.callLatency).count : 0;
          assert.equal(timed, every ? Math.ceil((2 * n + 1) / every) : 0);
          // The first read may still run unoptimised (V8 boxes doubles until then); the second must not collect.
          if (read === 1) assert.equal(gcs, 0, `1 in ${every}: ${gcs} GCs`);
        }
      } finally {
        p.free();
      }
    }
  } finally {
    bench.close();
  }
});

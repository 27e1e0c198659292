// Call latency against two clocks that are not the latency code's, on the
// real kernel: for every strategy this kernel allows, in both read loops,
// the kernel's own time inside bpf(2) (the counter's sys_enter → sys_exit)
// and the read's wall time agree with the timed calls (clocks.ts beside this file).
// And a loop that times only part of each call (a real read, its timings
// cut to a fifth) is caught by both clocks, while the same loop timing all of
// each call passes: the checker does fail when a loop times the wrong span.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketHigh, bucketLow, LAT_BUCKETS, LatencyHistogram, type LatencySource } from '../../src/bpf/native/latency.js';
import { openBenchMap, type BenchMap } from '../../src/harness/filling/bench-map.js';
import { measureStrategy } from '../../src/harness/measuring/measure-strategy.js';
import { silentProgress } from '../../src/harness/measuring/progress.js';
import { Verifier } from '../../src/harness/verification/verifier.js';
import { checkClocks } from './clocks.js';
import { strategyResult } from '../../src/report/result/strategy-result.js';
import type { StrategyResultJson } from '../../src/report/result/strategy-json.js';
import { batch } from '../../src/strategies/batch.js';
import { elem } from '../../src/strategies/elem.js';
import { READ_LOOPS, STRATEGIES, type ReadLoop } from '../../src/strategies/index.js';
import type { Strategy } from '../../src/strategies/types.js';
import { allowedStrategies, ITER } from '../helpers.js';

const POLICY = { minRuns: 2, maxRuns: 2, budgetMs: 0, warmup: 1 };

function bench(n: number): BenchMap {
  return openBenchMap({ entries: n, maxEntries: n, fill: 'prog', mapFlags: 0, kernelCount: true, iterProgram: ITER }, silentProgress);
}

function measured(b: BenchMap, strategy: Strategy, loop: ReadLoop): StrategyResultJson {
  const verifier = new Verifier(b.expect!);
  const m = measureStrategy({
    map: b.map,
    strategy,
    chunk: 4096,
    sink: verifier,
    policy: POLICY,
    progress: silentProgress,
    counter: b.counter,
    iterProgFd: b.iterProgFd,
    refill: () => b.refill!(verifier),
    loop,
  });
  if (strategy.drains) b.refill!(verifier);
  return strategyResult(m);
}

test('every strategy × loop: the timed calls agree with the kernel clock and the wall clock', (t) => {
  const b = bench(1 << 18);
  try {
    // Sharded reads run on C threads in the native loop only and time no calls (test/bpf/native/native-shard.test.ts checks their counts).
    for (const strategy of allowedStrategies(STRATEGIES).filter((s) => !s.usesThreads)) {
      for (const loop of READ_LOOPS) {
        const r = measured(b, strategy, loop);
        const what = `${r.label}, ${loop} loop`;
        assert.ok(r.verified.ok || strategy.expectedToFail, `${what}: ${r.verified.problems.join('; ')}`);
        const c = checkClocks(r);
        assert.ok(c, `${what}: timed, and audited by the kernel`);
        const f = c.figures;
        t.diagnostic(
          `${what}: kernel ${f.kernelNsPerCall?.toFixed(0) ?? '—'} ns/call; audit read mean ${f.auditMean} p50 ${f.auditP50}; timed p50 ${f.p50} mean ${f.mean.toFixed(0)}; mean×calls/wall ${f.timedShare.toFixed(3)} in [${f.band[0].toFixed(3)}, ${f.band[1].toFixed(3)}], audit ${f.auditShare?.toFixed(3)}, kernel share ${f.kernelShare?.toFixed(3)}`,
        );
        assert.deepEqual(c.problems, [], what);
        if (strategy.needsIterProgram) {
          assert.equal(f.kernelNsPerCall, null, 'iter times read(2), which the counter does not');
        } else {
          // The same read: the kernel's total inside bpf(2) is within the timed calls' (every call timed for batches).
          assert.ok(f.kernelNsPerCall! > 0 && f.auditMean !== null, what);
        }
      }
    }
  } finally {
    b.close();
  }
});

/** A latency source that files each call of `inner` at `fraction` of its duration: a loop timing only part of each call. */
function partOf(inner: LatencySource, fraction: number): LatencySource {
  return {
    sampledEvery: inner.sampledEvery,
    addTo(h: LatencyHistogram) {
      const real = LatencyHistogram.of(inner);
      for (let i = 0; i < LAT_BUCKETS; i++) {
        const n = real.counts[i]!;
        // Each call at the middle of its bucket, cut to the fraction (the longest exactly).
        for (let k = 0; k < n; k++) h.record(((bucketLow(i) + Math.min(real.max, bucketHigh(i))) / 2) * fraction);
      }
    },
  };
}

/** `base` read for real, its call timings reported at `fraction` of each call. */
function timingPart(base: Strategy, fraction: number): Strategy {
  return {
    ...base,
    prepare(map, o) {
      const p = base.prepare(map, o);
      return {
        ...p,
        beforeRead: p.beforeRead?.bind(p),
        afterRead: p.afterRead?.bind(p),
        free: () => p.free(),
        read(sink) {
          const rep = p.read(sink);
          return rep.callLatency ? { ...rep, callLatency: partOf(rep.callLatency, fraction) } : rep;
        },
      };
    },
  };
}

test('a loop timing only part of each call fails the check; the same loop timing all of it passes', () => {
  const b = bench(1 << 17);
  try {
    for (const base of [elem, batch]) {
      for (const loop of READ_LOOPS) {
        const whole = checkClocks(measured(b, timingPart(base, 1), loop))!;
        assert.deepEqual(whole.problems, [], `${base.name} ${loop}, all of each call timed`);
        const part = checkClocks(measured(b, timingPart(base, 0.2), loop))!;
        const what = `${base.name} ${loop}, 20 % of each call timed: ${part.problems.join(' | ')}`;
        assert.equal(part.ok, false, what);
        // Caught by the kernel's clock (the same read's calls took less on average than the kernel spent in them) …
        assert.ok(
          part.problems.some((p) => /less than the [\d,]+ ns the kernel spent inside bpf\(2\) per call of the same read/.test(p)),
          what,
        );
        // … and by the wall clock wherever the kernel's share of the read is above what a fifth of each call covers.
        if (base === batch)
          assert.ok(
            part.problems.some((p) => /mean call × calls \/ wall = 0\.\d+, outside/.test(p)),
            what,
          );
      }
    }
  } finally {
    b.close();
  }
});

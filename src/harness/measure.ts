// One strategy, measured: repeated full reads of the map, each verified,
// each with its wall time, CPU time, bpf calls by command, heap growth and
// GC count. tinybench schedules the repeats (a minimum count and a time
// budget); every figure is taken by this file around each read, with
// hrtime in nanoseconds, and handed back to tinybench as the sample.
import { GCProfiler } from 'node:v8';
import { Bench } from 'tinybench';
import { callsSince, snapshotCalls } from '../bpf/syscall.js';
import type { BpfMap } from '../bpf/map.js';
import type { Strategy } from '../strategies/index.js';
import { strategyLabel } from '../strategies/index.js';
import type { Progress } from './progress.js';
import { summarize, type Summary } from './stats.js';
import type { Verdict, Verifier } from './verifier.js';

export interface RepeatPolicy {
  /** Minimum measured reads. */
  minRuns: number;
  /** Maximum measured reads. */
  maxRuns: number;
  /** Keep reading (up to maxRuns) until this much time was spent; 0 = exactly minRuns. */
  budgetMs: number;
  /** Untimed, verified reads before measuring. */
  warmup: number;
}

/** One measured read. */
export interface ReadSample {
  wallNs: number;
  userNs: number;
  sysNs: number;
  bpf: Record<string, number>;
  heapUsedDeltaBytes: number;
  gcCount: number;
  counted: number;
  verdict: Verdict;
}

export interface StrategyMeasurement {
  strategy: Strategy;
  label: string;
  chunk: number;
  runs: number;
  warmupRuns: number;
  /** The first failing read's verdict, else the last read's. */
  verdict: Verdict;
  wallNs: Summary;
  samples: ReadSample[];
  /** Verification failed where a success was expected. */
  failed: boolean;
  /** bpf calls differed between reads (a map that changes, or a random layout). */
  callsVaried: boolean;
}

export function measureStrategy(map: BpfMap, strategy: Strategy, chunk: number, verifier: Verifier, policy: RepeatPolicy, progress: Progress): StrategyMeasurement {
  const label = strategyLabel(strategy, chunk);
  const prepared = strategy.prepare(map, { chunk });
  const samples: ReadSample[] = [];
  let warmupRuns = 0;
  try {
    const readOnce = (phase: string): ReadSample => {
      progress.start(phase, verifier.expect.entries, 'entries');
      const onProgress = (n: number) => progress.update(n);
      verifier.reset(onProgress);
      const calls0 = snapshotCalls();
      const heap0 = process.memoryUsage().heapUsed;
      const gc = new GCProfiler();
      gc.start();
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const report = prepared.read(verifier);
      const t1 = process.hrtime.bigint();
      const cpu = process.cpuUsage(cpu0);
      const gcs = gc.stop();
      const heap1 = process.memoryUsage().heapUsed;
      progress.end();
      return {
        wallNs: Number(t1 - t0),
        userNs: cpu.user * 1000,
        sysNs: cpu.system * 1000,
        bpf: callsSince(calls0),
        heapUsedDeltaBytes: heap1 - heap0,
        gcCount: gcs?.statistics.length ?? 0,
        counted: report.counted,
        verdict: verifier.verdict(),
      };
    };

    let failedVerdict: Verdict | undefined;
    for (let i = 0; i < policy.warmup; i++) {
      const s = readOnce(`${label} warmup ${i + 1}/${policy.warmup}`);
      warmupRuns++;
      if (!s.verdict.ok) {
        failedVerdict = s.verdict;
        samples.push(s);
        break;
      }
    }

    if (failedVerdict === undefined || strategy.expectedToFail) {
      const stop = new AbortController();
      const bench = new Bench({
        iterations: policy.minRuns,
        time: policy.budgetMs,
        warmup: false,
        throws: true,
        retainSamples: true,
      });
      const measured: ReadSample[] = [];
      bench.add(
        label,
        () => {
          const s = readOnce(`${label} run ${measured.length + 1}`);
          measured.push(s);
          // A wrong read is not timed again as if it were a success.
          if (!s.verdict.ok && !strategy.expectedToFail) stop.abort();
          if (measured.length >= policy.maxRuns) stop.abort();
          return { overriddenDuration: s.wallNs / 1e6 };
        },
        { signal: stop.signal },
      );
      bench.runSync();
      if (failedVerdict !== undefined) samples.length = 0;
      samples.push(...measured);
    }
  } finally {
    prepared.free();
  }

  const firstBad = samples.find((s) => !s.verdict.ok);
  const verdict = (firstBad ?? samples[samples.length - 1]!).verdict;
  const callTotals = samples.map((s) => JSON.stringify(s.bpf));
  return {
    strategy,
    label,
    chunk,
    runs: samples.length,
    warmupRuns,
    verdict,
    wallNs: summarize(samples.map((s) => s.wallNs)),
    samples,
    failed: firstBad !== undefined && !strategy.expectedToFail,
    callsVaried: new Set(callTotals).size > 1,
  };
}

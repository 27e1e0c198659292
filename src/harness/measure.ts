// One strategy, measured: untimed warmup reads, then repeated full reads of
// the map, each verified and measured by the Sampler (sample.ts). tinybench
// runs the repeats and computes the statistics of their wall times; this file
// decides after each read whether another is worth it (a minimum count, a
// maximum, and a time budget).
import { Bench } from 'tinybench';
import type { SyscallCounter } from '../bpf/counter.js';
import type { BpfMap } from '../bpf/map.js';
import { strategyLabel, type ReadLoop, type Strategy } from '../strategies/index.js';
import { fullGc } from './gc.js';
import type { Progress } from './progress.js';
import { Sampler, type Audit, type ReadSample } from './sample.js';
import { asSample, latencyOf, summarize, summaryOf, type Summary } from './stats.js';
import type { Verdict, VerifyingSink } from './verdict.js';


export interface RepeatPolicy {
  /** Minimum measured reads. */
  minRuns: number;
  /** Maximum measured reads. */
  maxRuns: number;
  /**
   * After minRuns, read again (up to maxRuns) only while another read is
   * expected to end within this budget (time spent + mean read time);
   * 0 = exactly minRuns.
   */
  budgetMs: number;
  /** Untimed, verified reads before measuring. */
  warmup: number;
}

export interface MeasureOptions {
  map: BpfMap;
  strategy: Strategy;
  /** Entries per batch call (chunked strategies). */
  chunk: number;
  /** Where each read goes, and what judges it. */
  sink: VerifyingSink;
  policy: RepeatPolicy;
  progress: Progress;
  /**
   * The kernel-side syscall counter. It audits the first read of the
   * strategy (the warmup read when there is one): attached for that read
   * only, so the timed reads that follow do not pay for it.
   */
  counter?: SyscallCounter;
  /** Fail on ENOSPC instead of growing the chunk. */
  strictChunk?: boolean;
  /** Fills the map again as the loader did (for drain strategies). */
  refill?: () => void;
  /** The loaded bpf_iter program (for the iter strategy). */
  iterProgFd?: number;
  /** Where the read loop runs (default: native), passed to the strategy. */
  loop?: ReadLoop;
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
  /** The kernel's audit of one read (undefined without a counter). */
  audit: Audit | undefined;
  /** bpf calls differed between reads (a map that changes, or a random layout). */
  callsVaried: boolean;
  /** What the strategy had to do differently here (a fallback), if anything. */
  note?: string;
}

/** Warmup reads; stops at the first that fails verification and returns it. */
function warmUp(sampler: Sampler, reads: number): { runs: number; failed: ReadSample | undefined } {
  for (let i = 0; i < reads; i++) {
    const s = sampler.read(`warmup ${i + 1}/${reads}`);
    if (!s.verdict.ok) return { runs: i + 1, failed: s };
  }
  return { runs: reads, failed: undefined };
}

/** After `n` reads that took `spentNs`: whether to read again. */
function readAgain(policy: RepeatPolicy, n: number, spentNs: number): boolean {
  if (n >= policy.maxRuns) return false;
  if (n < policy.minRuns) return true;
  return spentNs + spentNs / n <= policy.budgetMs * 1e6;
}

/** The measured reads, run by tinybench (no time limit of its own: readAgain decides), with their statistics. */
function timedReads(sampler: Sampler, policy: RepeatPolicy, strategy: Strategy, label: string): { samples: ReadSample[]; wallNs: Summary } {
  const stop = new AbortController();
  const bench = new Bench({ iterations: Math.max(policy.minRuns, policy.maxRuns), time: 0, warmup: false, throws: true });
  const samples: ReadSample[] = [];
  let spentNs = 0;
  const readOnce = () => {
    const s = sampler.read(`run ${samples.length + 1}`);
    samples.push(s);
    spentNs += s.wallNs;
    // A wrong read is not timed again as if it were a success.
    if ((!s.verdict.ok && !strategy.expectedToFail) || !readAgain(policy, samples.length, spentNs)) stop.abort();
    return asSample(s.wallNs);
  };
  // async: false, or tinybench would call readOnce once to find out.
  bench.add(label, readOnce, { signal: stop.signal, async: false });
  bench.runSync();
  return { samples, wallNs: summaryOf(latencyOf(bench.tasks[0]!), samples.map((s) => s.wallNs)) };
}

export function measureStrategy(o: MeasureOptions): StrategyMeasurement {
  const { strategy, chunk } = o;
  const label = strategyLabel(strategy, chunk);
  const prepared = strategy.prepare(o.map, { chunk, strictChunk: o.strictChunk, refill: o.refill, iterProgFd: o.iterProgFd, loop: o.loop });
  const sampler = new Sampler({ prepared, sink: o.sink, progress: o.progress, label, counter: o.counter });
  let warmupRuns: number;
  let samples: ReadSample[];
  let wallNs: Summary;
  try {
    // One full collection before this strategy's reads: garbage left by what
    // ran before (another strategy, a fill) is not collected, and counted as
    // allocation, inside a read. (Not before every read: a forced full GC can
    // flush compiled code, which the next read would recompile, and allocate.)
    fullGc();
    const warm = warmUp(sampler, o.policy.warmup);
    warmupRuns = warm.runs;
    if (warm.failed && !strategy.expectedToFail) {
      samples = [warm.failed];
      wallNs = summarize([warm.failed.wallNs]);
    } else {
      ({ samples, wallNs } = timedReads(sampler, o.policy, strategy, label));
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
    wallNs,
    samples,
    failed: firstBad !== undefined && !strategy.expectedToFail,
    callsVaried: new Set(callTotals).size > 1,
    audit: sampler.audit,
    note: prepared.note,
  };
}

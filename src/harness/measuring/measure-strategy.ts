// One strategy, measured: untimed warmup reads, then repeated full reads of
// the map, each verified and measured by the Sampler (sample.ts). tinybench
// runs the repeats and computes the statistics of their wall times; this file
// decides after each read whether another is worth it (a minimum count, a
// maximum, and a time budget). With a kernel counter, one untimed read is
// audited (the first warmup, else a read of its own, bounded on large maps)
// and the timed reads' own counts are held against it.
import { Bench } from 'tinybench';
import { MapFlag } from '../../bpf/syscall/constants.js';
import type { SyscallCounter } from '../../bpf/programs/counter.js';
import { type LatencyHistogram, mergeLatency } from '../../bpf/native/latency.js';
import type { BpfMap } from '../../bpf/maps/map.js';
import { strategyLabelWithThreads, type ReadLoop, type Strategy } from '../../strategies/index.js';
import { traitsOf } from '../../bpf/maps/map-types.js';
import { callPhase } from '../../bpf/syscall/call-account.js';
import { fullGc } from './gc.js';
import type { Progress } from './progress.js';
import type { WallAccount } from './wall-time.js';
import { matchesAudit, type Audit, type ReadSample } from './read-sample.js';
import { Sampler } from './sample.js';
import { asSample, bootstrap, latencyOf, medianOf, summarize, summaryOf, type Summary } from './stats.js';
import type { Verdict, VerifyingSink } from '../verification/verdict.js';
import type { WritersMeasurement } from '../writers/under-writers.js';

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
  /**
   * --runs auto --precision P: stop as soon as the 95 % interval of the
   * median (seeded bootstrap) lies within ±P of it (at least 3 reads), or
   * the budget is spent. Absent: the budget alone.
   */
  precision?: number;
}

/** Whether the median's 95 % interval lies within ±precision of it (3 reads at least). */
export function medianPrecise(samples: readonly number[], precision: number): boolean {
  if (samples.length < 3) return false;
  const iv = bootstrap([[samples]], ([b]) => medianOf(b![0]!));
  return iv.hi - iv.x <= precision * iv.x && iv.x - iv.lo <= precision * iv.x;
}

/**
 * How much of the map an audit read of its own (no warmup) reads: a
 * per-element strategy (one call or two per entry, ~1 µs each) the first
 * `prefix` entries of its walk; the others (many entries per call) the whole
 * map up to `fullUpTo` entries, else at least `prefix` entries.
 */
export interface AuditBounds {
  prefix: number;
  fullUpTo: number;
}

export const AUDIT_BOUNDS: AuditBounds = { prefix: 1 << 20, fullUpTo: 4 << 20 };

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
   * The kernel-side syscall counter. It audits one untimed read of the
   * strategy (the first warmup; without one, a read of its own, see
   * AuditBounds): attached for that read only, never for a timed read.
   */
  counter?: SyscallCounter;
  /** The audit read's bounds (default AUDIT_BOUNDS). */
  auditBounds?: AuditBounds;
  /** Fail on ENOSPC instead of growing the chunk. */
  strictChunk?: boolean;
  /** Fills the map again as the loader did (for drain strategies). */
  refill?: () => void;
  /** The loaded bpf_iter program (for the iter strategy). */
  iterProgFd?: number;
  /** Where the read loop runs (default: native), passed to the strategy. */
  loop?: ReadLoop;
  /** The run's wall-time account (harness/wall-time.ts). */
  account?: WallAccount;
  /** Threads of a sharded strategy. */
  threads?: number;
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
  /** --runs auto: why the reads stopped; undefined for a fixed count. */
  stoppedBy?: 'precision' | 'budget' | 'max runs';
  /** Verification failed where a success was expected. */
  failed: boolean;
  /** The kernel's audit of one untimed read (undefined without a counter). */
  audit: Audit | undefined;
  /**
   * The first timed read (samples[0]) made the calls the audit vouched for
   * (read-sample.ts matchesAudit); null without an audit.
   */
  matchesAudit: boolean | null;
  /**
   * The map's layout is fixed (an array, or a hash map with BPF_F_ZERO_SEED):
   * a read's calls do not vary unless the map or the chunk changes.
   */
  fixedLayout: boolean;
  /** bpf calls differed between reads (a map that changes, or a random layout). */
  callsVaried: boolean;
  /** What the strategy had to do differently here (a fallback), if anything. */
  note?: string;
  /** The duration of each bpf call (iter: read(2)) of the measured reads, merged; undefined when none was timed. */
  callLatency?: LatencyHistogram;
  /** The first read whose per-element walk gave up (the map changed underneath); undefined if none did. */
  aborted?: { steps: number; phase: string };
  /** run --writers: the same strategy's reads under writers, against without, in the same run. */
  underWriters?: WritersMeasurement;
}

/** Warmup reads, the first one audited; stops at the first that fails verification and returns it. */
function warmUp(sampler: Sampler, reads: number): { runs: number; failed: ReadSample | undefined } {
  for (let i = 0; i < reads; i++) {
    const phase = `warmup ${i + 1}/${reads}`;
    const s = i === 0 ? sampler.audited(phase, 'warmup') : sampler.read(phase);
    if (!s.verdict.ok) return { runs: i + 1, failed: s };
  }
  return { runs: reads, failed: undefined };
}

/** The audited read grew the chunk: ENOSPC calls in its count ('LOOKUP_BATCH' failures retried at a doubled chunk). */
function auditGrewChunk(sampler: Sampler): boolean {
  return (sampler.audit?.chunkGrowths ?? 0) > 0;
}

/** A strategy that makes a call or two per entry (elem, elem-delete), not one per many (batches, iter). */
const perElement = (s: Strategy) => !s.usesChunk && !s.needsIterProgram;

/** Entries the audit read of its own stops after (undefined: the whole map); `expected`: entries the map holds at most. */
export function auditBound(strategy: Strategy, expected: number, bounds: AuditBounds = AUDIT_BOUNDS): number | undefined {
  if (perElement(strategy)) return expected > bounds.prefix ? bounds.prefix : undefined;
  // A sharded read makes all its calls before the sink sees an entry: a prefix of it is the whole read.
  if (strategy.usesThreads) return undefined;
  return expected > bounds.fullUpTo ? bounds.prefix : undefined;
}

/** An array, or a zero-seed hash map: the same reads make the same calls. */
export function hasFixedLayout(map: BpfMap): boolean {
  return traitsOf(map.info.type)?.kind === 'array' || (map.info.flags & MapFlag.ZERO_SEED) !== 0;
}

/** After these reads (`spentNs` in all): why to stop, or null to read again. */
function stopReason(policy: RepeatPolicy, walls: readonly number[], spentNs: number): StrategyMeasurement['stoppedBy'] | null {
  const n = walls.length;
  if (n < policy.minRuns) return null;
  if (policy.precision !== undefined && medianPrecise(walls, policy.precision)) return 'precision';
  if (n >= policy.maxRuns) return 'max runs';
  return spentNs + spentNs / n <= policy.budgetMs * 1e6 ? null : 'budget';
}

/** The measured reads, run by tinybench (no time limit of its own: readAgain decides), with their statistics. */
function timedReads(sampler: Sampler, policy: RepeatPolicy, strategy: Strategy, label: string): { samples: ReadSample[]; wallNs: Summary; stoppedBy: StrategyMeasurement['stoppedBy'] } {
  const stop = new AbortController();
  const bench = new Bench({ iterations: Math.max(policy.minRuns, policy.maxRuns), time: 0, warmup: false, throws: true });
  const samples: ReadSample[] = [];
  let spentNs = 0;
  let stoppedBy: StrategyMeasurement['stoppedBy'];
  const readOnce = () => {
    const s = sampler.read(`run ${samples.length + 1}`);
    samples.push(s);
    spentNs += s.wallNs;
    const why = stopReason(
      policy,
      samples.map((x) => x.wallNs),
      spentNs,
    );
    // A wrong read is not timed again as if it were a success.
    if ((!s.verdict.ok && !strategy.expectedToFail) || why) {
      stoppedBy = why ?? undefined;
      stop.abort();
    }
    return asSample(s.wallNs);
  };
  // async: false, or tinybench would call readOnce once to find out.
  bench.add(label, readOnce, { signal: stop.signal, async: false });
  bench.runSync();
  // Only --runs auto says why it stopped (fixed runs stop at their count).
  return {
    samples,
    wallNs: summaryOf(
      latencyOf(bench.tasks[0]!),
      samples.map((s) => s.wallNs),
    ),
    stoppedBy: policy.budgetMs > 0 ? stoppedBy : undefined,
  };
}

export function measureStrategy(o: MeasureOptions): StrategyMeasurement {
  const { strategy, chunk } = o;
  const label = strategyLabelWithThreads(strategy, chunk, o.threads);
  callPhase(`${label}: prepare`);
  const prepared = strategy.prepare(o.map, { chunk, strictChunk: o.strictChunk, refill: o.refill, iterProgFd: o.iterProgFd, loop: o.loop, threads: o.threads });
  const sampler = new Sampler({ prepared, sink: o.sink, progress: o.progress, label, counter: o.counter, account: o.account });
  let warmupRuns: number;
  let samples: ReadSample[];
  let wallNs: Summary;
  let stoppedBy: StrategyMeasurement['stoppedBy'];
  try {
    if (o.counter && o.policy.warmup === 0) {
      // No warmup to audit: an untimed read of its own, bounded on a large map.
      sampler.audited('audit', 'own', auditBound(strategy, o.sink.total || o.map.maxEntries, o.auditBounds));
    }
    // One full collection before this strategy's reads: garbage left by what
    // ran before (another strategy, a fill, the audit) is not collected, and
    // counted as allocation, inside a read. (Not before every read: a forced
    // full GC can flush compiled code, which the next read would recompile,
    // and allocate.)
    callPhase(`${label}: around reads`);
    if (o.account) o.account.time('garbage collection before each strategy', false, fullGc);
    else fullGc();
    const warm = warmUp(sampler, o.policy.warmup);
    warmupRuns = warm.runs;
    if (o.counter && sampler.audit && !warm.failed && auditGrewChunk(sampler)) {
      // ENOSPC grew the chunk during the audited read: its calls (the failed
      // ones, the small chunk's) are not what the timed reads make. Audited
      // again, at the chunk the timed reads use.
      sampler.forgetAudit();
      sampler.audited('audit', 'own', auditBound(strategy, o.sink.total || o.map.maxEntries, o.auditBounds));
    }
    if (warm.failed && !strategy.expectedToFail) {
      samples = [warm.failed];
      wallNs = summarize([warm.failed.wallNs]);
    } else {
      ({ samples, wallNs, stoppedBy } = timedReads(sampler, o.policy, strategy, label));
    }
  } finally {
    callPhase(`${label}: free`);
    prepared.free();
  }

  const firstBad = samples.find((s) => !s.verdict.ok);
  const abortedRead = samples.find((s) => s.aborted);
  const verdict = (firstBad ?? samples[samples.length - 1]!).verdict;
  const callTotals = samples.map((s) => JSON.stringify(s.bpf));
  const audit = sampler.audit;
  const first = samples[0]!;
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
    audit,
    matchesAudit: audit ? matchesAudit(audit, first.bpf, first.verdict.entries) : null,
    fixedLayout: hasFixedLayout(o.map),
    note: prepared.note,
    callLatency: mergeLatency(samples.map((s) => s.callLatency)),
    aborted: abortedRead ? { steps: abortedRead.aborted!.steps, phase: abortedRead.phase } : undefined,
    stoppedBy,
  };
}

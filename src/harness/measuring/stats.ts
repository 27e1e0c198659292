// Summary statistics of repeated reads, in nanoseconds. tinybench computes
// them: a read's wall time is its sample (`overriddenDuration`, in ms), and
// its task's latency statistics, converted back to ns, are the summary. The
// one figure tinybench lacks, the interval of a ratio of two means (a
// speedup), is here.
import { Bench, mToNs, nToMs, type Statistics, type Task } from 'tinybench';
import { InvariantError } from '../../errors.js';

export interface Summary {
  mean: number;
  /** Sample standard deviation (n-1); 0 with one sample. */
  sd: number;
  median: number;
  min: number;
  max: number;
  /** Relative margin of error of the mean at 95 % (Student's t), in percent; null with one sample. */
  rme: number | null;
  /** In the order they were taken. */
  samples: number[];
}

/** A read's wall time (ns) as tinybench's sample: `{ overriddenDuration }` in ms. */
export function asSample(ns: number): { overriddenDuration: number } {
  return { overriddenDuration: nToMs(ns) };
}

/** A task's latency statistics (ms); the task must have run. */
export function latencyOf(task: Task): Statistics {
  const r = task.result;
  if (r.state !== 'completed' && r.state !== 'aborted-with-statistics') throw new InvariantError(`tinybench task '${task.name}' has no statistics (${r.state})`);
  return r.latency;
}

/** tinybench's statistics of `samplesNs` (ms) as a Summary in ns. */
export function summaryOf(latency: Statistics, samplesNs: readonly number[]): Summary {
  const n = latency.samplesCount;
  if (n !== samplesNs.length) throw new InvariantError(`tinybench counted ${n} samples, the reads ${samplesNs.length}`);
  return {
    mean: mToNs(latency.mean),
    sd: mToNs(latency.sd),
    median: mToNs(latency.p50),
    min: mToNs(latency.min),
    max: mToNs(latency.max),
    rme: n > 1 && Number.isFinite(latency.rme) ? latency.rme : null,
    samples: [...samplesNs],
  };
}

/** The Summary of durations measured elsewhere (the peers' reads, a lone warmup read), by tinybench. */
export function summarize(samplesNs: readonly number[]): Summary {
  if (samplesNs.length === 0) throw new RangeError('no samples');
  let i = 0;
  const bench = new Bench({ iterations: samplesNs.length, time: 0, warmup: false, throws: true });
  bench.add('samples', () => asSample(samplesNs[i++]!), { async: false });
  bench.runSync();
  return summaryOf(latencyOf(bench.tasks[0]!), samplesNs);
}

// Two-sided 95 % Student's t quantiles for 1..30 degrees of freedom (beyond: 1.96).
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045,
  2.042,
];

const t95 = (df: number) => (df >= 1 && df <= T95.length ? T95[df - 1]! : 1.96);

export interface MeanRatio {
  /** a.mean / b.mean. */
  x: number;
  /** σ of the ratio, propagated from both samples' σ (hyperfine's rule); null with fewer than 2 runs in either. */
  sd: number | null;
  /** 95 % interval of the ratio of means: both standard errors propagated, t of the smaller sample (x itself with fewer than 2 runs). */
  lo: number;
  hi: number;
}

/** The ratio of two means (`an`, `bn`: their run counts), with its spread. */
export function meanRatio(a: Pick<Summary, 'mean' | 'sd'>, an: number, b: Pick<Summary, 'mean' | 'sd'>, bn: number): MeanRatio {
  const x = a.mean / b.mean;
  if (an < 2 || bn < 2) return { x, sd: null, lo: x, hi: x };
  const sd = x * Math.sqrt((a.sd / a.mean) ** 2 + (b.sd / b.mean) ** 2);
  const sea = a.sd / Math.sqrt(an) / a.mean;
  const seb = b.sd / Math.sqrt(bn) / b.mean;
  const half = t95(Math.min(an, bn) - 1) * x * Math.sqrt(sea ** 2 + seb ** 2);
  return { x, sd, lo: x - half, hi: x + half };
}

// ---------------------------------------------------------------------------
// The speed gates' decision (docs/ci-and-fleets.md, "The decision rule"): a
// seeded percentile bootstrap of a statistic of per-read times, and a verdict
// from where its 95 % interval lies against a threshold. No library: the
// candidates on npm either lack seeding (a CI decision must be reproducible
// from its JSON) or resample only one sample; this is 40 lines.

/** mulberry32: a small seeded generator, so the same reads always give the same interval. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function medianOf(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('no samples');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Interval {
  /** The statistic of the reads as taken. */
  x: number;
  /** 2.5th and 97.5th percentiles of the statistic over the resamples. */
  lo: number;
  hi: number;
  /** Reads in the smallest block: what "more reads" counts. */
  n: number;
}

export const BOOTSTRAP_METHOD = 'percentile bootstrap, 2000 resamples, seed 1, 95 %';
const RESAMPLES = 2000;

/**
 * A block is columns of equal length resampled together (row i of every
 * column is one round: a paired read, e.g. bpfbench's and C's read of one
 * round); blocks are resampled independently. `stat` gets the resampled
 * blocks in the same shape.
 */
export function bootstrap(blocks: readonly (readonly (readonly number[])[])[], stat: (b: number[][][]) => number, seed = 1): Interval {
  const lens = blocks.map((b) => {
    const n = b[0]?.length ?? 0;
    if (n === 0 || b.some((c) => c.length !== n)) throw new RangeError('a block of no reads, or of columns of unequal length');
    return n;
  });
  const x = stat(blocks.map((b) => b.map((c) => [...c])));
  const rnd = seededRandom(seed);
  const stats: number[] = [];
  for (let r = 0; r < RESAMPLES; r++) {
    const re = blocks.map((b, i) => {
      const n = lens[i]!;
      const idx = Array.from({ length: n }, () => Math.floor(rnd() * n));
      return b.map((c) => idx.map((j) => c[j]!));
    });
    stats.push(stat(re));
  }
  stats.sort((a, b) => a - b);
  const at = (q: number) => stats[Math.min(stats.length - 1, Math.max(0, Math.round(q * (stats.length - 1))))]!;
  return { x, lo: at(0.025), hi: at(0.975), n: Math.min(...lens) };
}

/** regressed, improved, unchanged (within ±threshold), or undecided. */
export type ChangeVerdict = 'regressed' | 'improved' | 'unchanged' | 'undecided';

/**
 * The verdict on a relative change whose interval is [lo, hi], positive =
 * worse: regressed when the whole interval lies beyond +threshold, improved
 * beyond −threshold, unchanged within ±threshold, else undecided.
 */
export function decideChange(lo: number, hi: number, threshold: number): ChangeVerdict {
  if (lo > threshold) return 'regressed';
  if (hi < -threshold) return 'improved';
  if (lo >= -threshold && hi <= threshold) return 'unchanged';
  return 'undecided';
}

/** A ceiling's verdict: regressed (above it), held (under it), or undecided (the interval straddles it). */
export type CeilingVerdict = 'regressed' | 'held' | 'undecided';

/**
 * The verdict on a ceiling, change ≤ +threshold, whose interval is [lo, hi]:
 * the same rule with the one boundary a ceiling has. Regressed when the whole
 * interval lies beyond +threshold, held when it lies at or under it, else
 * undecided. How far under (improved or unchanged) is no part of the
 * question, so an interval reaching below −threshold does not keep it open.
 */
export function decideCeiling(lo: number, hi: number, threshold: number): CeilingVerdict {
  if (lo > threshold) return 'regressed';
  if (hi <= threshold) return 'held';
  return 'undecided';
}

/**
 * Roughly how many more reads (per side) would decide an undecided interval:
 * an interval narrows as 1/√n, and the side of it that crosses a boundary
 * (±threshold, or the ceiling) must shrink to the distance between the
 * estimate and that boundary. null when the estimate sits on a boundary (no
 * number of reads is enough to say).
 */
export function moreReads(iv: Interval, boundaries: readonly number[]): number | null {
  let needed = 0;
  for (const b of boundaries) {
    if (!(iv.lo < b && b < iv.hi)) continue;
    const side = b > iv.x ? iv.hi - iv.x : iv.x - iv.lo;
    const margin = Math.abs(b - iv.x);
    if (!(margin > side * 0.05)) return null;
    needed = Math.max(needed, iv.n * (side / margin) ** 2 - iv.n);
  }
  return Math.max(1, Math.ceil(needed));
}

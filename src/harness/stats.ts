// Summary statistics of repeated reads, in nanoseconds. tinybench computes
// them: a read's wall time is its sample (`overriddenDuration`, in ms), and
// its task's latency statistics, converted back to ns, are the summary. The
// one figure tinybench lacks, the interval of a ratio of two means (a
// speedup), is here.
import { Bench, mToNs, nToMs, type Statistics, type Task } from 'tinybench';
import { InvariantError } from '../errors.js';

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
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

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

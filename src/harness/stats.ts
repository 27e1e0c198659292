// Summary statistics of repeated measurements (nanoseconds).

export interface Summary {
  mean: number;
  /** Sample standard deviation (n-1); 0 with one sample. */
  sd: number;
  median: number;
  min: number;
  max: number;
  /** Relative margin of error of the mean at 95 % (Student's t), in percent; null with one sample. */
  rme: number | null;
  samples: number[];
}

// Two-sided 95 % Student's t quantiles for 1..30 degrees of freedom.
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function tQuantile95(df: number): number {
  return df >= 1 && df <= T95.length ? T95[df - 1]! : 1.96;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('no samples');
  const n = samples.length;
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((s, x) => s + x, 0) / n;
  const sd = n > 1 ? Math.sqrt(samples.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  const mid = n >> 1;
  const median = n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const rme = n > 1 && mean > 0 ? ((tQuantile95(n - 1) * sd) / Math.sqrt(n) / mean) * 100 : null;
  return { mean, sd, median, min: sorted[0]!, max: sorted[n - 1]!, rme, samples: [...samples] };
}

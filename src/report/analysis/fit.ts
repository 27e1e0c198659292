// The chunk trade-off as a cost model: a batch read's time per entry is a
// cost per call spread over the entries a call returns, plus a cost per
// entry that no chunk removes,
//
//     ns/entry(chunk) ≈ perCall / chunk + perEntry,
//
// fitted by ordinary least squares (linear in x = 1/chunk) on the sweep's
// medians. Pure functions: the fit, its error, and the chunk from which the
// read is within a given fraction of the asymptote (perEntry).

export interface CostFit {
  /** ns per call (the slope in 1/chunk), and its standard error (null with 2 points). */
  perCallNs: number;
  perCallSe: number | null;
  /** ns per entry as the chunk grows without bound (the intercept), and its standard error. */
  perEntryNs: number;
  perEntrySe: number | null;
  /** Residual standard error, ns/entry (null with 2 points: no degree of freedom left). */
  rse: number | null;
  /** Coefficient of determination (null when every point has the same ns/entry). */
  r2: number | null;
  /** Points fitted. */
  n: number;
}

/** The fitted ns/entry at `chunk`. */
export function predictNsPerEntry(fit: Pick<CostFit, 'perCallNs' | 'perEntryNs'>, chunk: number): number {
  return fit.perCallNs / chunk + fit.perEntryNs;
}

/**
 * Least squares of ns/entry = perCall / chunk + perEntry over `points`
 * ([chunk, ns/entry]); undefined with fewer than two distinct chunks.
 */
export function fitChunkCost(points: readonly (readonly [number, number])[]): CostFit | undefined {
  const n = points.length;
  const xs = points.map(([c]) => 1 / c);
  const ys = points.map(([, y]) => y);
  if (n < 2 || new Set(xs).size < 2) return undefined;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const perCallNs = sxy / sxx;
  const perEntryNs = my - perCallNs * mx;
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += (ys[i]! - (perCallNs * xs[i]! + perEntryNs)) ** 2;
  const dof = n - 2;
  const rse = dof > 0 ? Math.sqrt(ssr / dof) : null;
  return {
    perCallNs,
    perCallSe: rse === null ? null : rse / Math.sqrt(sxx),
    perEntryNs,
    perEntrySe: rse === null ? null : rse * Math.sqrt(1 / n + (mx * mx) / sxx),
    rse,
    r2: syy > 0 ? 1 - ssr / syy : null,
    n,
  };
}

/**
 * The smallest chunk whose fitted ns/entry is within `fraction` (0.05: 5 %)
 * of the asymptote: perCall / chunk ≤ fraction × perEntry, i.e. chunk ≥
 * perCall / (fraction × perEntry), rounded up. 1 when calls cost nothing
 * measurable (perCall ≤ 0); null when the fit has no positive asymptote.
 */
export function chunkWithin(fit: Pick<CostFit, 'perCallNs' | 'perEntryNs'>, fraction = 0.05): number | null {
  if (!(fit.perEntryNs > 0)) return null;
  if (fit.perCallNs <= 0) return 1;
  return Math.max(1, Math.ceil(fit.perCallNs / (fraction * fit.perEntryNs) - 1e-9));
}

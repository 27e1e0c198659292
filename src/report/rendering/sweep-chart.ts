// The sweep's chart model: which curves there are, their points, the
// per-element level they are held against and the fitted cost model, decided
// here once. svg.ts draws it, once, for both the SVG file a sweep writes and
// the HTML page's figure (html/sweep-figure.ts).
import { referenceOf } from '../../strategies/index.js';
import { entriesLabel } from '../formats/format.js';
import type { SweepFitJson, SweepResultJson } from '../analysis/sweep-result.js';

/** One curve: a strategy at one map size. */
export interface SweepCurve {
  entries: number;
  strategy: string;
  /** The map size: `1Mi`, or `1Mi of 4Mi` for a sparse map (max_entries above the entries). */
  size: string;
  /**
   * Its verified points with a chunk: the chunk asked, the chunk the calls
   * ran with (ENOSPC may have grown it), ns/entry, and the p99 call when
   * the calls were timed.
   */
  points: { chunk: number; inUse: number; nsPerEntry: number; p99?: number }[];
  /** The per-element read's ns/entry at this size (verified), the level a batch read is held against. */
  reference?: number;
  /** The fitted cost model ns/entry = perEntry + perCall / chunk; absent in sweeps from before the fit. */
  fit?: SweepFitJson;
}

/** Size `i` of a sweep: `1Mi`, or `1Mi of 4Mi` for a sparse map (max_entries above the entries). */
export function sizeLabel(r: SweepResultJson, i: number): string {
  const e = r.config.entries[i]!;
  const m = r.config.maxEntries?.[i] ?? e;
  return m === e ? entriesLabel(e) : `${entriesLabel(e)} of ${entriesLabel(m)}`;
}

/** A curve's name in the legend, the tooltips and the page's caption: `1Mi batch`, `1Mi of 4Mi batch`. */
export const curveLabel = (c: SweepCurve): string => `${c.size} ${c.strategy}`;

/** The curves of a sweep: for each size in order, each swept strategy with a verified chunked point. */
export function sweepCurves(r: SweepResultJson): SweepCurve[] {
  const curves: SweepCurve[] = [];
  r.config.entries.forEach((entries, i) => {
    const size = sizeLabel(r, i);
    for (const strategy of r.config.strategies) {
      const pts = r.points.filter((p) => p.entries === entries && p.strategy === strategy && p.verified && p.chunk !== null);
      if (!pts.length) continue;
      const reference = referenceOf(r.points, (p) => p.entries === entries && p.verified)?.nsPerEntry;
      const fit = r.fits?.find((f) => f.entries === entries && f.strategy === strategy);
      curves.push({
        entries,
        strategy,
        size,
        points: pts.map((p) => ({ chunk: p.chunk!, inUse: p.effectiveChunk ?? p.chunk!, nsPerEntry: p.nsPerEntry, ...(p.callLatency ? { p99: p.callLatency.p99 } : {}) })),
        ...(reference !== undefined ? { reference } : {}),
        ...(fit ? { fit } : {}),
      });
    }
  });
  return curves;
}

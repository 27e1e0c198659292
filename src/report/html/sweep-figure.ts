// The report page's sweep: ns/entry against chunk, a curve per map size and
// strategy, elem dashed at the same size, the fitted model dotted where the
// result carries one. A pure function returning HTML.
import { REFERENCE, referenceOf } from '../../strategies/index.js';
import { loopOf } from '../configuration.js';
import { entriesLabel } from '../export.js';
import { fmtInt, fmtNsPerEntry } from '../format.js';
import type { SweepResultJson } from '../sweep.js';
import { sweepCurvesSvg, type CurveSeries } from './charts.js';
import { sourceLine, type Figures, type Sweep } from './figure.js';
import { esc } from './markup.js';

/** Sweep curves, one colour per map size: blue and orange first (apart for every colour vision), not elem's vermillion. */
const SIZE_COLORS = [0, 3, 2, 4, 5, 7];

export function sweepFigure(figs: Figures, r: Sweep, id: string): void {
  const j: SweepResultJson = r.json;
  // fits[]: the cost model per size and strategy (absent in sweeps from before the fit).
  const fits = j.fits ?? [];
  const series: CurveSeries[] = [];
  j.config.entries.forEach((e) => {
    for (const s of j.config.strategies) {
      const pts = j.points.filter((p) => p.entries === e && p.strategy === s && p.chunk !== null && p.verified);
      if (!pts.length) continue;
      const ref = referenceOf(j.points, (p) => p.entries === e && p.verified);
      const fit = fits.find((f) => f.entries === e && f.strategy === s);
      const curve: CurveSeries = { label: `${entriesLabel(e)} ${s}`, color: SIZE_COLORS[series.length % SIZE_COLORS.length]!, points: pts.map((p) => [p.chunk!, p.nsPerEntry]) };
      if (ref) curve.reference = { value: ref.nsPerEntry, label: `${entriesLabel(e)} ${REFERENCE.name}` };
      // The fit's x is the chunk each read ran with (ENOSPC may have grown the one asked).
      if (fit) curve.model = { perEntryNs: fit.perEntryNs, perCallNs: fit.perCallNs, chunks: [...new Set(pts.map((p) => p.effectiveChunk ?? p.chunk!))] };
      series.push(curve);
    }
  });
  if (!series.length) return;
  const svg = sweepCurvesSvg(id, `Nanoseconds per entry against chunk, ${j.config.mapType}, ${j.config.entries.map(entriesLabel).join(' and ')} entries`, series);
  const best = j.best.map((b) => `${b.strategy} at ${entriesLabel(b.entries)}: chunk ${fmtInt(b.chunk)} (${fmtNsPerEntry(b.nsPerEntry)} ns/entry)`).join('; ');
  const fitted = series.filter((s) => s.model);
  const modelText = fitted.length
    ? ` Dotted: the fitted model ns/entry = a + b ÷ chunk (${fitted.map((s) => `${s.label}: a = ${fmtNsPerEntry(s.model!.perEntryNs)} ns per entry, b = ${fmtNsPerEntry(s.model!.perCallNs)} ns per call`).join('; ')}).`
    : '';
  const grown = j.points.filter((p) => p.chunk !== null && p.verified && p.effectiveChunk != null && p.effectiveChunk !== p.chunk);
  const grownText = grown.length && fitted.length
    ? ` ENOSPC grew ${grown.map((p) => `${entriesLabel(p.entries)} chunk ${fmtInt(p.chunk!)} to ${fmtInt(p.effectiveChunk!)}`).join(', ')}: those dots are reads at the grown chunk, and the model, fitted on the chunk in use, is drawn from the smallest one.`
    : '';
  const failed = j.points.filter((p) => !p.verified).map((p) => `${entriesLabel(p.entries)} ${p.label}: failed verification (${p.problems.join('; ')})`);
  const runs = [...new Set(j.points.map((p) => p.runs))].join('/');
  figs.add(
    svg,
    `Time per entry against chunk size`,
    `Solid: the median ns/entry of LOOKUP_BATCH reads at each chunk; dashed: per element (elem) at the same size.${modelText}${grownText} Fastest: ${esc(best)}.`,
    sourceLine(r, `${sweepWhat(r)}, ${runs} runs per point`),
    failed,
  );
}

/** What a sweep measured: the map type, the sizes, the chunks, the fill, the loop. */
function sweepWhat(r: Sweep): string {
  const c = r.json.config;
  return `${c.mapType} u32→u32, ${c.entries.map(entriesLabel).join(' and ')} entries, chunks ${c.chunks.map((x) => x.toLocaleString('en-US')).join(', ')}, fill ${c.fill}, loop ${loopOf(r)}`;
}

// The report page's sweep: ns/entry against chunk, a curve per map size and
// strategy, elem dashed at the same size, the fitted model dotted where the
// result carries one. A pure function returning HTML.
import { REFERENCE } from '../../strategies/index.js';
import { loopOf } from '../analysis/configuration.js';
import { entriesLabel, esc, fmtInt, fmtNsPerEntry } from '../formats/format.js';
import type { SweepResultJson } from '../analysis/sweep-result.js';
import { sweepCurves } from '../rendering/sweep-chart.js';
import { sweepCurvesSvg, type CurveSeries } from './charts.js';
import { sourceLine, type Figures, type Sweep } from './figure.js';

/** Sweep curves, one colour per map size: blue and orange first (apart for every colour vision), not elem's vermillion. */
const SIZE_COLORS = [0, 3, 2, 4, 5, 7];

export function sweepFigure(figs: Figures, r: Sweep, id: string): void {
  const j: SweepResultJson = r.json;
  // The same curves as the sweep's SVG file (sweep-chart.ts), drawn in the page's theme.
  const series: CurveSeries[] = sweepCurves(j).map((c, i) => {
    const curve: CurveSeries = { label: `${entriesLabel(c.entries)} ${c.strategy}`, color: SIZE_COLORS[i % SIZE_COLORS.length]!, points: c.points.map((p) => [p.chunk, p.nsPerEntry]) };
    if (c.reference !== undefined) curve.reference = { value: c.reference, label: `${entriesLabel(c.entries)} ${REFERENCE.name}` };
    // The fit's x is the chunk each read ran with (ENOSPC may have grown the one asked).
    if (c.fit) curve.model = { perEntryNs: c.fit.perEntryNs, perCallNs: c.fit.perCallNs, chunks: [...new Set(c.points.map((p) => p.inUse))] };
    return curve;
  });
  if (!series.length) return;
  const svg = sweepCurvesSvg(id, `Nanoseconds per entry against chunk, ${j.config.mapType}, ${j.config.entries.map(entriesLabel).join(' and ')} entries`, series);
  const best = j.best.map((b) => `${b.strategy} at ${entriesLabel(b.entries)}: chunk ${fmtInt(b.chunk)} (${fmtNsPerEntry(b.nsPerEntry)} ns/entry)`).join('; ');
  const fitted = series.filter((s) => s.model);
  const modelText = fitted.length
    ? ` Dotted: the fitted model ns/entry = a + b ÷ chunk (${fitted.map((s) => `${s.label}: a = ${fmtNsPerEntry(s.model!.perEntryNs)} ns per entry, b = ${fmtNsPerEntry(s.model!.perCallNs)} ns per call`).join('; ')}).`
    : '';
  const grown = j.points.filter((p) => p.chunk !== null && p.verified && p.effectiveChunk != null && p.effectiveChunk !== p.chunk);
  const grownText =
    grown.length && fitted.length
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

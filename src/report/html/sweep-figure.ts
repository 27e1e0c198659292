// The report page's sweep: the sweep's chart drawn by rendering/svg.ts, the
// same marks as the SVG file a sweep writes (its ns/entry panel), in the
// page's theme, with its caption. A pure function returning HTML.
import { loopOf } from '../analysis/configuration.js';
import { entriesLabel, esc, fmtInt, fmtNsPerEntry } from '../formats/format.js';
import type { SweepResultJson } from '../analysis/sweep-result.js';
import { curveLabel, sweepCurves } from '../rendering/sweep-chart.js';
import { sweepDrawing } from '../rendering/svg.js';
import { chartOpen } from './charts.js';
import { sourceLine, type Figures, type Sweep } from './figure.js';

export function sweepFigure(figs: Figures, r: Sweep, id: string): void {
  const j: SweepResultJson = r.json;
  const d = sweepDrawing(j, { latency: false });
  if (!d) return;
  const svg = `${chartOpen(id, d.title, d.height, d.width)}\n${d.body}\n</svg>`;
  const best = j.best.map((b) => `${b.strategy} at ${entriesLabel(b.entries)}: chunk ${fmtInt(b.chunk)} (${fmtNsPerEntry(b.nsPerEntry)} ns/entry)`).join('; ');
  const fitted = sweepCurves(j).filter((c) => c.fit);
  const modelText = fitted.length
    ? ` Dotted: the fitted model ns/entry = a + b ÷ chunk (${fitted.map((c) => `${curveLabel(c)}: a = ${fmtNsPerEntry(c.fit!.perEntryNs)} ns per entry, b = ${fmtNsPerEntry(c.fit!.perCallNs)} ns per call`).join('; ')}).`
    : '';
  const grown = j.points.filter((p) => p.chunk !== null && p.verified && p.effectiveChunk != null && p.effectiveChunk !== p.chunk);
  const grownText = grown.length
    ? ` ENOSPC grew ${grown.map((p) => `${entriesLabel(p.entries)} chunk ${fmtInt(p.chunk!)} to ${fmtInt(p.effectiveChunk!)}`).join(', ')}: those reads are drawn at the chunk they ran with${fitted.length ? ', the chunk the model is fitted on' : ''}.`
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

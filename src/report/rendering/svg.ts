// The sweep's chart, drawn once: sweepDrawing turns the chart model
// (sweep-chart.ts) into SVG marks, and both the SVG file a sweep writes
// (sweepChart, below) and the HTML page's figure (html/sweep-figure.ts) wrap
// those same marks. Panel 1: ns/entry against the chunk in use (log₂ x,
// log₁₀ y), a line per size and strategy, the size's per-element level
// dashed, the fitted cost model from `fits` dotted. Panel 2 (the file's, when
// the calls were timed): p99 call latency against chunk, log-log, with the
// latency budget dashed. Marks carry classes only; their look is
// CHART_MARKS (html/style.ts), which the page's stylesheet and the file's
// own <style> both hold, and every mark has a <title> with its figures.
import { REFERENCE } from '../../strategies/index.js';
import { esc, fmtDuration, tickLabel } from '../formats/format.js';
import { px, logTicks } from '../html/markup.js';
import { CHART_MARKS, LIGHT_THEME } from '../html/style.js';
import { predictNsPerEntry } from '../analysis/fit.js';
import type { SweepResultJson } from '../analysis/sweep-result.js';
import { loopOf } from '../result/run-json.js';
import { curveLabel, sizeLabel, sweepCurves, type SweepCurve } from './sweep-chart.js';

/** One panel's size, and its margins: the axes' ticks left and below, the legend right, the title above. */
const W = 880;
const H = 460;
const M = { left: 76, right: 200, top: 40, bottom: 52 };
/** Curve colours (palette classes k0…k7), one per size: blue and orange first (apart for every colour vision), not elem's vermillion. */
const CURVE_COLORS = [0, 3, 2, 4, 5, 7];
/** Samples of the fitted model between its smallest chunk and the axis's end (the chunks it was fitted on are added). */
const MODEL_STEPS = 64;

/** The chart's marks: `body` goes inside an <svg> of `width` × `height`, titled `title`. */
export interface SweepDrawing {
  title: string;
  width: number;
  height: number;
  body: string;
}

interface Scale {
  x: (chunk: number) => number;
  y: (v: number) => number;
  inside: (v: number) => boolean;
  /** log₂ of the axis's ends. */
  x0: number;
  x1: number;
  right: number;
  top: number;
}

/** Title, grid, ticks, axes and axis labels of a panel whose top is `top`; its scales. */
function panel(out: string[], top: number, title: string, chunks: number[], ys: number[], yLabel: string, tick: (v: number) => string): Scale {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const t = top + M.top;
  const x0 = Math.log2(chunks[0]!);
  const x1 = Math.max(x0 + 1, Math.log2(chunks[chunks.length - 1]!));
  const lo = 10 ** Math.floor(Math.log10(Math.max(1e-3, Math.min(...ys))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...ys) * 1.01));
  const x = (c: number) => M.left + ((Math.log2(c) - x0) / (x1 - x0)) * plotW;
  const y = (v: number) => t + plotH - ((Math.log10(v) - Math.log10(lo)) / Math.max(1e-9, Math.log10(hi) - Math.log10(lo))) * plotH;
  out.push(`<text class="panel-title" x="${M.left}" y="${top + 22}">${esc(title, false)}</text>`);
  for (const v of logTicks(lo, hi)) {
    out.push(`<line class="grid" x1="${M.left}" x2="${M.left + plotW}" y1="${px(y(v))}" y2="${px(y(v))}"/>`);
    out.push(`<text class="tick" x="${M.left - 8}" y="${px(y(v))}" text-anchor="end" dominant-baseline="middle">${esc(tick(v), false)}</text>`);
  }
  for (const c of chunks) {
    out.push(`<line class="grid" x1="${px(x(c))}" x2="${px(x(c))}" y1="${t}" y2="${t + plotH}"/>`);
    out.push(`<text class="tick" x="${px(x(c))}" y="${t + plotH + 18}" text-anchor="middle">${c.toLocaleString('en-US')}</text>`);
  }
  out.push(`<line class="axis" x1="${M.left}" x2="${M.left + plotW}" y1="${t + plotH}" y2="${t + plotH}"/>`);
  out.push(`<line class="axis" x1="${M.left}" x2="${M.left}" y1="${t}" y2="${t + plotH}"/>`);
  out.push(`<text class="axis-label" x="${px(M.left + plotW / 2)}" y="${top + H - 10}" text-anchor="middle">chunk: entries per LOOKUP_BATCH call (log scale)</text>`);
  out.push(`<text class="axis-label" transform="translate(14 ${px(t + plotH / 2)}) rotate(-90)" text-anchor="middle">${esc(yLabel, false)}</text>`);
  return { x, y, inside: (v) => v >= lo && v <= hi, x0, x1, right: M.left + plotW, top: t };
}

/** A legend of key lines and their text, down the right margin from `y`. */
function legend(out: string[], s: Scale, y: number): { key: (cls: string, text: string) => void; gap: () => void } {
  let ly = y;
  const lx = s.right + 22;
  return {
    key: (cls, text) => {
      out.push(`<line class="key ${cls}" x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}"/>`);
      out.push(`<text class="legend" x="${lx + 32}" y="${ly}" dominant-baseline="middle">${esc(text, false)}</text>`);
      ly += 20;
    },
    gap: () => {
      ly += 8;
    },
  };
}

const color = (i: number) => `k${CURVE_COLORS[i % CURVE_COLORS.length]!}`;
/** Points in the order a line joins them: by the chunk in use, then the chunk asked. */
const byChunk = <P extends { chunk: number; inUse: number }>(pts: P[]) => [...pts].sort((a, b) => a.inUse - b.inUse || a.chunk - b.chunk);
const chunkText = (p: { chunk: number; inUse: number }) => `chunk ${p.chunk.toLocaleString('en-US')}${p.inUse !== p.chunk ? ` (grown to ${p.inUse.toLocaleString('en-US')} by ENOSPC)` : ''}`;

/** The fitted model's path: from the smallest chunk it was fitted on to the axis's end, through each of those chunks exactly. */
function modelPath(c: SweepCurve, s: Scale): string {
  const fit = c.fit!;
  const inUse = c.points.map((p) => p.inUse);
  const from = Math.max(s.x0, Math.log2(Math.min(...inUse)));
  const at = new Set(inUse.filter((x) => Math.log2(x) >= from && Math.log2(x) <= s.x1));
  for (let k = 0; k <= MODEL_STEPS; k++) at.add(2 ** (from + ((s.x1 - from) * k) / MODEL_STEPS));
  const path: string[] = [];
  for (const x of [...at].sort((a, b) => a - b)) {
    const v = predictNsPerEntry(fit, x);
    if (s.inside(v)) path.push(`${path.length ? 'L' : 'M'}${px(s.x(x))} ${px(s.y(v))}`);
  }
  return path.join('');
}

/** Panel 1: each curve's points, its elem level and its fitted model. */
function nsPerEntry(out: string[], curves: SweepCurve[], title: string, chunks: number[]): void {
  const ys = curves.flatMap((c) => [...c.points.map((p) => p.nsPerEntry), ...(c.reference !== undefined ? [c.reference] : [])]);
  const s = panel(out, 0, title, chunks, ys, 'ns per entry (log scale)', tickLabel);
  const { key, gap } = legend(out, s, s.top + 8);
  curves.forEach((c, i) => {
    const label = curveLabel(c);
    const ref = `${c.size} ${REFERENCE.name}`;
    out.push(`<g class="${color(i)}">`);
    if (c.reference !== undefined && s.inside(c.reference)) {
      const y = px(s.y(c.reference));
      out.push(`<line class="reference" x1="${M.left}" x2="${px(s.right)}" y1="${y}" y2="${y}"><title>${esc(`${ref}: ${tickLabel(c.reference)} ns/entry`, false)}</title></line>`);
    }
    const model = c.fit ? modelPath(c, s) : '';
    if (model)
      out.push(
        `<path class="model" d="${model}"><title>${esc(`${label} model: ${tickLabel(c.fit!.perEntryNs)} ns per entry + ${tickLabel(c.fit!.perCallNs)} ns per call ÷ chunk`, false)}</title></path>`,
      );
    const pts = byChunk(c.points);
    out.push(`<polyline class="series" points="${pts.map((p) => `${px(s.x(p.inUse))},${px(s.y(p.nsPerEntry))}`).join(' ')}"/>`);
    for (const p of pts)
      out.push(
        `<circle class="dot" cx="${px(s.x(p.inUse))}" cy="${px(s.y(p.nsPerEntry))}" r="4"><title>${esc(`${label}, ${chunkText(p)}: ${tickLabel(p.nsPerEntry)} ns/entry`, false)}</title></circle>`,
      );
    key('series', label);
    if (c.reference !== undefined) key('reference', ref);
    if (model) key('model', `${label} model`);
    gap();
    out.push('</g>');
  });
}

/** Panel 2, below panel 1: each timed curve's p99 call against the chunk in use, and the budget. */
function p99Call(out: string[], curves: SweepCurve[], chunks: number[], budgetNs: number | undefined): void {
  const ys = [...curves.flatMap((c) => c.points.flatMap((p) => (p.p99 !== undefined ? [p.p99] : []))), ...(budgetNs !== undefined ? [budgetNs] : [])];
  const s = panel(out, H, 'p99 call latency vs chunk (log-log)', chunks, ys, 'p99 call latency (log scale)', (v) => fmtDuration(v, 'tick'));
  if (budgetNs !== undefined) {
    const y = px(s.y(budgetNs));
    out.push(`<line class="budget" x1="${M.left}" x2="${px(s.right)}" y1="${y}" y2="${y}"/>`);
    out.push(`<text class="legend" x="${px(s.right + 22)}" y="${y}" dominant-baseline="middle">budget ${esc(fmtDuration(budgetNs, 'tick'), false)}</text>`);
  }
  const { key } = legend(out, s, s.top + 30);
  curves.forEach((c, i) => {
    const timed = byChunk(c.points.filter((p) => p.p99 !== undefined));
    if (!timed.length) return;
    const label = curveLabel(c);
    out.push(`<g class="${color(i)}">`);
    out.push(`<polyline class="latency" points="${timed.map((p) => `${px(s.x(p.inUse))},${px(s.y(p.p99!))}`).join(' ')}"/>`);
    for (const p of timed)
      out.push(
        `<circle class="dot" cx="${px(s.x(p.inUse))}" cy="${px(s.y(p.p99!))}" r="4"><title>${esc(`${label}, ${chunkText(p)}: p99 call ${fmtDuration(p.p99!, 'tick')}`, false)}</title></circle>`,
      );
    key('latency', `${label} p99`);
    out.push('</g>');
  });
}

/**
 * The sweep's chart as SVG marks, null without a curve: panel 1 always, and
 * with `latency` panel 2 when the calls were timed. The one drawing of it;
 * the file and the page only wrap it.
 */
export function sweepDrawing(r: SweepResultJson, opts: { latency: boolean }): SweepDrawing | null {
  const curves = sweepCurves(r);
  if (!curves.length) return null;
  const sizes = r.config.entries.map((_, i) => sizeLabel(r, i)).join(' and ');
  const title = `ns per entry vs chunk: ${r.config.mapType}, ${sizes} entries, loop ${loopOf(r)}`;
  // The x axis: the chunks the reads ran with (ENOSPC may have grown the one asked), as the fit's x is.
  const chunks = [...new Set(curves.flatMap((c) => c.points.map((p) => p.inUse)))].sort((a, b) => a - b);
  const out = ['<g class="panel">'];
  nsPerEntry(out, curves, title, chunks);
  out.push('</g>');
  const timed = opts.latency && curves.some((c) => c.points.some((p) => p.p99 !== undefined));
  if (timed) {
    out.push('<g class="panel">');
    p99Call(out, curves, chunks, r.latencyBudget?.maxCallLatencyNs);
    out.push('</g>');
  }
  return { title, width: W, height: timed ? 2 * H : H, body: out.join('\n') };
}

/** The sweep's SVG file: the drawing with both panels, on a white ground, with the chart's look in its own <style> (light theme). */
export function sweepChart(r: SweepResultJson): string {
  const d = sweepDrawing(r, { latency: true });
  if (!d)
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H / 4}" viewBox="0 0 ${W} ${H / 4}" font-family="sans-serif"><text x="${M.left}" y="${M.top}">No verified point with a chunk to draw.</text></svg>\n`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${d.width}" height="${d.height}" viewBox="0 0 ${d.width} ${d.height}" font-family="sans-serif" font-size="13" role="img" aria-label="${esc(d.title)}">`,
    `<title>${esc(d.title, false)}</title>`,
    `<style>\nsvg{${LIGHT_THEME}}\n${CHART_MARKS}</style>`,
    '<rect width="100%" height="100%" fill="white"/>',
    d.body,
    '</svg>',
    '',
  ].join('\n');
}

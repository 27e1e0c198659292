// The report page's charts: inline SVG strings from pure functions. Colours
// come from CSS classes (`k0`…`k7` set `--k` to a palette entry, see
// style.ts), so one chart follows the page's light or dark theme; every mark
// carries a <title> with its exact figures (a tooltip, and text for screen
// readers), and every chart is an <svg class="chart"> with its own id.
import { fmtDuration, esc, tickLabel } from '../formats/format.js';
import { linearTicks, logTicks, px } from './markup.js';

const WIDTH = 880;

function open(id: string, label: string, height: number): string {
  return `<svg class="chart" id="${esc(id)}" viewBox="0 0 ${WIDTH} ${Math.ceil(height)}" width="${WIDTH}" height="${Math.ceil(height)}" role="img" aria-label="${esc(label)}">\n<title>${esc(label)}</title>`;
}

const colorClass = (i: number) => `k${((i % 8) + 8) % 8}`;

// --- Horizontal bars with whiskers, in panels with a scale each ---------------

export interface Bar {
  label: string;
  /** The bar's length (a median). */
  value: number;
  /** The whisker (equal to value: none). */
  lo: number;
  hi: number;
  /** Palette index. */
  color: number;
  /** At the bar's end: `5,335 ns`. */
  valueText: string;
  /** After it, muted: `18.6×`. */
  note: string;
  /** Drawn hollow: the read was wrong. */
  failed: boolean;
  tooltip: string;
}

export interface BarPanel {
  title: string;
  bars: Bar[];
  /** A dashed line across the panel (the C floor). */
  floor?: { value: number; label: string };
}

const BAR = { labelW: 230, right: 190, row: 30, thick: 18, title: 26, axis: 44, gap: 18 };

/**
 * Panels of horizontal bars on a linear axis from 0, whiskers over the bars:
 * each panel its own scale, or (`shared`) one scale for all, labelled once under the last.
 */
export function barsSvg(id: string, label: string, panels: BarPanel[], axisLabel: string, opts: { shared?: boolean } = {}): string {
  const plotW = WIDTH - BAR.labelW - BAR.right;
  const axisOf = (i: number) => (!opts.shared || i === panels.length - 1 ? BAR.axis : 4);
  const height = panels.reduce((h, p, i) => h + (p.title ? BAR.title : 6) + p.bars.length * BAR.row + axisOf(i) + BAR.gap, 0);
  const panelMax = (p: BarPanel) => Math.max(...p.bars.map((b) => Math.max(b.value, b.hi)), p.floor?.value ?? 0);
  const sharedMax = Math.max(...panels.map(panelMax));
  const out = [open(id, label, height)];
  let top = 0;
  for (const [i, p] of panels.entries()) {
    const labelled = axisOf(i) === BAR.axis;
    if (p.title) out.push(`<text class="panel-title" x="0" y="${px(top + 16)}">${esc(p.title)}</text>`);
    const rowsTop = top + (p.title ? BAR.title : 6);
    const rowsBottom = rowsTop + p.bars.length * BAR.row;
    const ticks = linearTicks(opts.shared ? sharedMax : panelMax(p));
    const xMax = ticks[ticks.length - 1]!;
    const x = (v: number) => BAR.labelW + (v / xMax) * plotW;
    out.push('<g class="axis-group">');
    for (const t of ticks) {
      out.push(`<line class="grid" x1="${px(x(t))}" x2="${px(x(t))}" y1="${px(rowsTop)}" y2="${px(rowsBottom)}"/>`);
      if (labelled) out.push(`<text class="tick" x="${px(x(t))}" y="${px(rowsBottom + 16)}" text-anchor="middle">${tickLabel(t)}</text>`);
    }
    out.push(`<line class="axis" x1="${px(x(0))}" x2="${px(x(0))}" y1="${px(rowsTop)}" y2="${px(rowsBottom)}"/>`);
    if (labelled) out.push(`<text class="axis-label" x="${px(BAR.labelW + plotW / 2)}" y="${px(rowsBottom + 36)}" text-anchor="middle">${esc(axisLabel)}</text>`);
    out.push('</g>');
    p.bars.forEach((b, k) => {
      const yc = rowsTop + k * BAR.row + BAR.row / 2;
      const w = Math.max(1, x(b.value) - x(0));
      out.push(`<g class="${colorClass(b.color)}"><title>${esc(b.tooltip)}</title>`);
      out.push(`<text class="bar-label" x="${BAR.labelW - 10}" y="${px(yc)}" text-anchor="end" dominant-baseline="middle">${esc(b.label)}</text>`);
      out.push(`<rect class="bar${b.failed ? ' failed' : ''}" x="${px(x(0))}" y="${px(yc - BAR.thick / 2)}" width="${px(w)}" height="${BAR.thick}" rx="2"/>`);
      if (b.hi > b.lo) {
        const [l, h] = [x(b.lo), x(b.hi)];
        const d = `M${px(l)} ${px(yc)}H${px(h)}M${px(l)} ${px(yc - 5)}V${px(yc + 5)}M${px(h)} ${px(yc - 5)}V${px(yc + 5)}`;
        // A halo in the background colour keeps the whisker visible over a bar of the text colour.
        out.push(`<path class="halo" d="${d}"/><path class="whisker" d="${d}"/>`);
      }
      const tx = x(Math.max(b.value, b.hi)) + 8;
      out.push(`<text class="value" x="${px(tx)}" y="${px(yc)}" dominant-baseline="middle">${esc(b.valueText)}<tspan class="note">${b.note ? `  ${esc(b.note)}` : ''}</tspan></text>`);
      out.push('</g>');
    });
    if (p.floor) {
      const fx = x(p.floor.value);
      out.push(`<g class="floor-group"><title>${esc(p.floor.label)}</title><line class="floor" x1="${px(fx)}" x2="${px(fx)}" y1="${px(rowsTop - 4)}" y2="${px(rowsBottom + 2)}"/></g>`);
    }
    top = rowsBottom + axisOf(i) + BAR.gap;
  }
  out.push('</svg>');
  return out.join('\n');
}

// --- Latency by percentile (HdrHistogram style) --------------------------------

export const PERCENTILE_COLUMNS = [
  ['p50', '50%'],
  ['p90', '90%'],
  ['p99', '99%'],
  ['p999', '99.9%'],
  ['max', 'max'],
] as const;

export interface LatencySeries {
  label: string;
  color: number;
  /** ns per call at p50, p90, p99, p99.9 and max. */
  values: [number, number, number, number, number];
}

const LAT = { left: 76, right: 250, top: 16, bottom: 52, height: 360 };

/** ns per call against percentile (evenly spaced nines), log₁₀ y, one line per series, a legend on the right. */
export function latencySvg(id: string, label: string, series: LatencySeries[]): string {
  const plotW = WIDTH - LAT.left - LAT.right;
  const plotH = LAT.height - LAT.top - LAT.bottom;
  const all = series.flatMap((s) => s.values);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all) * 1.01));
  const x = (i: number) => LAT.left + (i / (PERCENTILE_COLUMNS.length - 1)) * plotW;
  const y = (v: number) => LAT.top + plotH - ((Math.log10(v) - Math.log10(lo)) / Math.max(1e-9, Math.log10(hi) - Math.log10(lo))) * plotH;
  const out = [open(id, label, LAT.height)];
  for (const t of logTicks(lo, hi)) {
    out.push(`<line class="grid" x1="${LAT.left}" x2="${LAT.left + plotW}" y1="${px(y(t))}" y2="${px(y(t))}"/>`);
    out.push(`<text class="tick" x="${LAT.left - 8}" y="${px(y(t))}" text-anchor="end" dominant-baseline="middle">${esc(fmtDuration(t, 'tick'))}</text>`);
  }
  PERCENTILE_COLUMNS.forEach(([, name], i) => {
    out.push(`<line class="grid" x1="${px(x(i))}" x2="${px(x(i))}" y1="${LAT.top}" y2="${LAT.top + plotH}"/>`);
    out.push(`<text class="tick" x="${px(x(i))}" y="${LAT.top + plotH + 18}" text-anchor="middle">${name}</text>`);
  });
  out.push(`<line class="axis" x1="${LAT.left}" x2="${LAT.left + plotW}" y1="${LAT.top + plotH}" y2="${LAT.top + plotH}"/>`);
  out.push(`<text class="axis-label" x="${px(LAT.left + plotW / 2)}" y="${LAT.height - 10}" text-anchor="middle">percentile of calls</text>`);
  out.push(`<text class="axis-label" transform="translate(14 ${px(LAT.top + plotH / 2)}) rotate(-90)" text-anchor="middle">time per call (log scale)</text>`);
  series.forEach((s, i) => {
    const pts = s.values.map((v, k) => `${px(x(k))},${px(y(v))}`).join(' ');
    const tip = `${s.label}: ${PERCENTILE_COLUMNS.map(([, n], k) => `${n} ${fmtDuration(s.values[k]!, 'tick')}`).join(', ')}`;
    out.push(`<g class="${colorClass(s.color)}"><title>${esc(tip)}</title>`);
    out.push(`<polyline class="series" points="${pts}"/>`);
    for (let k = 0; k < s.values.length; k++) out.push(`<circle class="dot" cx="${px(x(k))}" cy="${px(y(s.values[k]!))}" r="4"/>`);
    const ly = LAT.top + 8 + i * 38;
    const lx = LAT.left + plotW + 22;
    out.push(`<line class="key series" x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}"/>`);
    out.push(`<text class="legend" x="${lx + 32}" y="${ly}" dominant-baseline="middle">${esc(s.label)}</text>`);
    out.push(`<text class="legend-note" x="${lx + 32}" y="${ly + 15}" dominant-baseline="middle">p50 ${esc(fmtDuration(s.values[0], 'tick'))} · p99 ${esc(fmtDuration(s.values[2], 'tick'))}</text>`);
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n');
}

// --- ns/entry against chunk ------------------------------------------------------

export interface CurveSeries {
  label: string;
  color: number;
  /** [chunk, ns/entry] measured points. */
  points: [number, number][];
  /** elem's ns/entry at this size: a dashed level, and its legend. */
  reference?: { value: number; label: string };
  /**
   * A fitted model ns/entry = perEntryNs + perCallNs / chunk: a dotted curve
   * from the smallest chunk it was fitted on to the axis's end, through each
   * of `chunks` (the chunks in use it was fitted on) exactly.
   */
  model?: { perEntryNs: number; perCallNs: number; chunks: number[] };
}

const SW = { left: 76, right: 200, top: 16, bottom: 52, height: 430 };

/** ns/entry against chunk, log₂ x and log₁₀ y; elem levels dashed, fitted models dotted, a legend on the right. */
export function sweepCurvesSvg(id: string, label: string, series: CurveSeries[]): string {
  const plotW = WIDTH - SW.left - SW.right;
  const plotH = SW.height - SW.top - SW.bottom;
  const chunks = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const modelAt = (m: NonNullable<CurveSeries['model']>, c: number) => m.perEntryNs + m.perCallNs / c;
  const ys = series.flatMap((s) => [...s.points.map((p) => p[1]), ...(s.reference ? [s.reference.value] : [])]);
  const x0 = Math.log2(chunks[0]!);
  const x1 = Math.max(x0 + 1, Math.log2(chunks[chunks.length - 1]!));
  const lo = 10 ** Math.floor(Math.log10(Math.max(1e-3, Math.min(...ys))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...ys) * 1.01));
  const x = (c: number) => SW.left + ((Math.log2(c) - x0) / (x1 - x0)) * plotW;
  const y = (v: number) => SW.top + plotH - ((Math.log10(v) - Math.log10(lo)) / Math.max(1e-9, Math.log10(hi) - Math.log10(lo))) * plotH;
  const inside = (v: number) => v >= lo && v <= hi;
  const out = [open(id, label, SW.height)];
  for (const t of logTicks(lo, hi)) {
    out.push(`<line class="grid" x1="${SW.left}" x2="${SW.left + plotW}" y1="${px(y(t))}" y2="${px(y(t))}"/>`);
    out.push(`<text class="tick" x="${SW.left - 8}" y="${px(y(t))}" text-anchor="end" dominant-baseline="middle">${tickLabel(t)}</text>`);
  }
  for (const c of chunks) {
    out.push(`<line class="grid" x1="${px(x(c))}" x2="${px(x(c))}" y1="${SW.top}" y2="${SW.top + plotH}"/>`);
    out.push(`<text class="tick" x="${px(x(c))}" y="${SW.top + plotH + 18}" text-anchor="middle">${c.toLocaleString('en-US')}</text>`);
  }
  out.push(`<line class="axis" x1="${SW.left}" x2="${SW.left + plotW}" y1="${SW.top + plotH}" y2="${SW.top + plotH}"/>`);
  out.push(`<line class="axis" x1="${SW.left}" x2="${SW.left}" y1="${SW.top}" y2="${SW.top + plotH}"/>`);
  out.push(`<text class="axis-label" x="${px(SW.left + plotW / 2)}" y="${SW.height - 10}" text-anchor="middle">chunk: entries per LOOKUP_BATCH call (log scale)</text>`);
  out.push(`<text class="axis-label" transform="translate(14 ${px(SW.top + plotH / 2)}) rotate(-90)" text-anchor="middle">ns per entry (log scale)</text>`);
  let ly = SW.top + 8;
  const lx = SW.left + plotW + 22;
  const legend = (cls: string, text: string) => {
    out.push(`<line class="key ${cls}" x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}"/>`);
    out.push(`<text class="legend" x="${lx + 32}" y="${ly}" dominant-baseline="middle">${esc(text)}</text>`);
    ly += 20;
  };
  for (const s of series) {
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    out.push(`<g class="${colorClass(s.color)}">`);
    if (s.reference && inside(s.reference.value)) {
      const ry = px(y(s.reference.value));
      out.push(`<line class="reference" x1="${SW.left}" x2="${SW.left + plotW}" y1="${ry}" y2="${ry}"><title>${esc(`${s.reference.label}: ${tickLabel(s.reference.value)} ns/entry`)}</title></line>`);
    }
    if (s.model) {
      const m = s.model;
      const from = Math.max(x0, Math.log2(Math.min(...m.chunks)));
      const steps = 64;
      const at = new Set<number>(m.chunks.filter((c) => Math.log2(c) >= from && Math.log2(c) <= x1));
      for (let k = 0; k <= steps; k++) at.add(2 ** (from + ((x1 - from) * k) / steps));
      const path: string[] = [];
      for (const c of [...at].sort((a, b) => a - b)) {
        const v = modelAt(m, c);
        if (inside(v)) path.push(`${path.length ? 'L' : 'M'}${px(x(c))} ${px(y(v))}`);
      }
      if (path.length)
        out.push(`<path class="model" d="${path.join('')}"><title>${esc(`${s.label} model: ${tickLabel(m.perEntryNs)} ns per entry + ${tickLabel(m.perCallNs)} ns per call ÷ chunk`)}</title></path>`);
    }
    out.push(`<polyline class="series" points="${pts.map(([c, v]) => `${px(x(c))},${px(y(v))}`).join(' ')}"/>`);
    for (const [c, v] of pts)
      out.push(`<circle class="dot" cx="${px(x(c))}" cy="${px(y(v))}" r="4"><title>${esc(`${s.label}, chunk ${c.toLocaleString('en-US')}: ${tickLabel(v)} ns/entry`)}</title></circle>`);
    legend('series', s.label);
    if (s.reference) legend('reference', s.reference.label);
    if (s.model) legend('model', `${s.label} model`);
    ly += 8;
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}

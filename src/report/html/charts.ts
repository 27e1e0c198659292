// The report page's charts: inline SVG strings from pure functions. Colours
// come from CSS classes (`k0`…`k7` set `--k` to a palette entry, see
// style.ts), so one chart follows the page's light or dark theme; every mark
// carries a <title> with its exact figures (a tooltip, and text for screen
// readers), and every chart is an <svg class="chart"> with its own id.
import { fmtDuration, esc, tickLabel } from '../formats/format.js';
import { linearTicks, logTicks, px } from './markup.js';

const WIDTH = 880;

/** A chart's opening tag and title on the page; the sweep's (rendering/svg.ts) is wrapped in it too. */
export function chartOpen(id: string, label: string, height: number, width = WIDTH): string {
  return `<svg class="chart" id="${esc(id)}" viewBox="0 0 ${width} ${Math.ceil(height)}" width="${width}" height="${Math.ceil(height)}" role="img" aria-label="${esc(label)}">\n<title>${esc(label)}</title>`;
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
  const out = [chartOpen(id, label, height)];
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
  const out = [chartOpen(id, label, LAT.height)];
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

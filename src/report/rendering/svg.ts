// The sweep's chart, an SVG string written by the tool itself, viewable in
// any browser. Panel 1: ns/entry against chunk (log₂ x axis, log₁₀ y), one
// line per map size, each size's per-element level as a dashed reference
// line, and the fitted cost model (fit.ts) as a dotted curve. Panel 2 (when
// the calls were timed): p99 call latency against chunk, log-log, with the
// latency budget as a dashed line.

import { esc, fmtDuration } from '../formats/format.js';

export interface SweepSeries {
  label: string;
  /** [chunk, ns/entry] points. */
  points: [number, number][];
  /** elem's ns/entry for this size (a dashed line), if measured. */
  reference?: number;
  /** The fitted ns/entry at a chunk (a dotted curve), if fitted. */
  fit?: (chunk: number) => number;
  /** [chunk, p99 call ns] points (panel 2), if the calls were timed. */
  latency?: [number, number][];
}

export interface SweepSvgOptions {
  width?: number;
  /** Height of one panel. */
  height?: number;
  /** Panel 2's title. */
  latencyTitle?: string;
  /** The p99 call budget (ns), drawn in panel 2. */
  budgetNs?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const M = { left: 70, right: 170, top: 40, bottom: 50 };
const FIT_SAMPLES = 48;

interface Panel {
  /** Top of the panel in the SVG. */
  top: number;
  title: string;
  yLabel: string;
  tick: (v: number) => string;
  xs: number[];
  ys: number[];
}

/** Grid, ticks, axes and titles of one panel; returns its coordinate mappings. */
function drawPanel(out: string[], p: Panel, width: number, height: number): { px: (c: number) => number; py: (v: number) => number; w: number; h: number } {
  const w = width - M.left - M.right;
  const h = height - M.top - M.bottom;
  const top = p.top + M.top;
  const x0 = Math.log2(Math.min(...p.xs));
  const x1 = Math.max(x0 + 1, Math.log2(Math.max(...p.xs)));
  // log₁₀ y: per-element and batch levels differ by 10–50×.
  const y0 = Math.floor(Math.log10(Math.max(1, Math.min(...p.ys))));
  const y1 = Math.ceil(Math.log10(Math.max(...p.ys) * 1.05));
  const px = (c: number) => M.left + ((Math.log2(c) - x0) / (x1 - x0)) * w;
  const py = (v: number) => top + h - ((Math.log10(v) - y0) / Math.max(1, y1 - y0)) * h;
  out.push(`<text x="${M.left}" y="${p.top + 22}" font-size="15" font-weight="bold">${esc(p.title, false)}</text>`);
  for (let e = y0; e <= y1; e++) {
    for (const k of [1, 2, 5]) {
      const v = k * 10 ** e;
      if (v < 10 ** y0 || v > 10 ** y1) continue;
      const y = py(v).toFixed(1);
      out.push(`<line class="grid" x1="${M.left}" x2="${M.left + w}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${M.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${p.tick(v)}</text>`);
    }
  }
  for (const c of [...new Set(p.xs)].sort((a, b) => a - b)) {
    const x = px(c).toFixed(1);
    out.push(`<line class="grid" x1="${x}" x2="${x}" y1="${top}" y2="${top + h}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${x}" y="${top + h + 18}" text-anchor="middle">${c.toLocaleString('en-US')}</text>`);
  }
  out.push(`<line x1="${M.left}" x2="${M.left + w}" y1="${top + h}" y2="${top + h}" stroke="black"/>`);
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${top}" y2="${top + h}" stroke="black"/>`);
  out.push(`<text x="${M.left + w / 2}" y="${p.top + height - 12}" text-anchor="middle">chunk (entries per LOOKUP_BATCH call, log scale)</text>`);
  out.push(`<text transform="translate(18 ${top + h / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel, false)}</text>`);
  return { px, py, w, h };
}

const sorted = (pts: [number, number][]) => [...pts].sort((a, b) => a[0] - b[0]);

/** The fitted curve at FIT_SAMPLES chunks spread evenly on the log₂ axis between `lo` and `hi`, positive values only. */
function fitCurve(fit: (c: number) => number, lo: number, hi: number): [number, number][] {
  const a = Math.log2(lo);
  const b = Math.log2(hi);
  const pts: [number, number][] = [];
  for (let i = 0; i < FIT_SAMPLES; i++) {
    const c = 2 ** (a + ((b - a) * i) / (FIT_SAMPLES - 1));
    const v = fit(c);
    if (v > 0) pts.push([c, v]);
  }
  return pts;
}

export function sweepSvg(series: SweepSeries[], title: string, opts: SweepSvgOptions = {}): string {
  const width = opts.width ?? 760;
  const height = opts.height ?? 460;
  const withLatency = series.some((s) => s.latency?.length);
  const total = withLatency ? 2 * height : height;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const curves = series.map((s) => (s.fit ? fitCurve(s.fit, lo, hi) : []));
  const ys = [...series.flatMap((s) => [...s.points.map((p) => p[1]), ...(s.reference !== undefined ? [s.reference] : [])]), ...curves.flatMap((c) => c.map((p) => p[1]))];
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${total}" viewBox="0 0 ${width} ${total}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<g class="panel" id="ns-per-entry">`);
  const one = drawPanel(out, { top: 0, title, yLabel: 'ns per entry (log scale)', tick: (v) => v.toLocaleString('en-US'), xs, ys }, width, height);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const { px, py, w } = one;
    if (s.reference !== undefined) {
      const y = py(s.reference).toFixed(1);
      out.push(`<line class="reference" x1="${M.left}" x2="${M.left + w}" y1="${y}" y2="${y}" stroke="${color}" stroke-dasharray="6 4"/>`);
    }
    const curve = curves[i]!;
    if (curve.length > 1)
      out.push(
        `<polyline class="fit" fill="none" stroke="${color}" stroke-width="1.5" stroke-dasharray="2 3" points="${curve.map(([c, v]) => `${px(c).toFixed(1)},${py(v).toFixed(1)}`).join(' ')}"/>`,
      );
    const pts = sorted(s.points);
    out.push(`<polyline class="series" fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([c, v]) => `${px(c).toFixed(1)},${py(v).toFixed(1)}`).join(' ')}"/>`);
    for (const [c, v] of pts) out.push(`<circle cx="${px(c).toFixed(1)}" cy="${py(v).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = M.top + 10 + i * 52;
    const legend = (dy: number, dash: string | undefined, text: string) => {
      out.push(`<line x1="${M.left + w + 15}" x2="${M.left + w + 40}" y1="${ly + dy}" y2="${ly + dy}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
      out.push(`<text x="${M.left + w + 45}" y="${ly + dy}" dominant-baseline="middle">${esc(text, false)}</text>`);
    };
    legend(0, undefined, `${s.label} batch`);
    if (s.reference !== undefined) legend(16, '6 4', `${s.label} elem`);
    if (curve.length > 1) legend(32, '2 3', `${s.label} fit`);
  });
  out.push('</g>');
  if (withLatency) {
    const lat = series.map((s) => s.latency ?? []);
    const lys = [...lat.flatMap((l) => l.map((p) => p[1])), ...(opts.budgetNs !== undefined ? [opts.budgetNs] : [])];
    out.push(`<g class="panel" id="p99-call">`);
    const two = drawPanel(
      out,
      {
        top: height,
        title: opts.latencyTitle ?? 'p99 call latency vs chunk',
        yLabel: 'p99 call latency (log scale)',
        tick: (v) => fmtDuration(v, 'tick'),
        xs: [...xs, ...lat.flatMap((l) => l.map((p) => p[0]))],
        ys: lys,
      },
      width,
      height,
    );
    const { px, py, w } = two;
    if (opts.budgetNs !== undefined) {
      const y = py(opts.budgetNs).toFixed(1);
      out.push(`<line class="budget" x1="${M.left}" x2="${M.left + w}" y1="${y}" y2="${y}" stroke="#333" stroke-dasharray="8 4"/>`);
      out.push(`<text x="${M.left + w + 15}" y="${y}" dominant-baseline="middle">budget ${esc(fmtDuration(opts.budgetNs, 'tick'), false)}</text>`);
    }
    lat.forEach((l, i) => {
      if (!l.length) return;
      const color = COLORS[i % COLORS.length]!;
      const pts = sorted(l);
      out.push(`<polyline class="latency" fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([c, v]) => `${px(c).toFixed(1)},${py(v).toFixed(1)}`).join(' ')}"/>`);
      for (const [c, v] of pts) out.push(`<circle cx="${px(c).toFixed(1)}" cy="${py(v).toFixed(1)}" r="3" fill="${color}"/>`);
      const ly = height + M.top + 30 + i * 20;
      out.push(`<line x1="${M.left + w + 15}" x2="${M.left + w + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
      out.push(`<text x="${M.left + w + 45}" y="${ly}" dominant-baseline="middle">${esc(series[i]!.label, false)} p99</text>`);
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

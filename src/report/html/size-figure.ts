// The report page's "ratio to C against map size": given peers results of
// two or more sizes, a line per bpfbench row (read loop × strategy) of its
// median time over C's, measured in the same run, against the entries. The
// 1.00 line is C. Every point is a peers result's own ratioToC; nothing is
// interpolated. A pure function returning HTML.
import { entriesLabel, esc, fmtInt, fmtRatio } from '../formats/format.js';
import { peerRowName } from '../analysis/fleet.js';
import { peersStrategyLabel } from '../rendering/peers-table.js';
import type { PeersResultJson } from '../result/peers-result.js';
import type { Figures, Peers } from './figure.js';
import { px } from './markup.js';

const WIDTH = 880;
const M = { left: 76, right: 220, top: 16, bottom: 52, height: 360 };

export interface SizeSeries {
  label: string;
  color: number;
  /** [entries, ratio to C] of each size. */
  points: [number, number][];
}

/** The series: each bpfbench row (loop × strategy) across the results, one point per size where it verified and has a ratio. */
export function sizeSeries(results: PeersResultJson[]): SizeSeries[] {
  const byKey = new Map<string, SizeSeries>();
  for (const j of results) {
    for (const x of j.results) {
      if (x.impl !== 'ts' || x.ratioToC === null || !x.verified.ok) continue;
      // Every series is bpfbench's (the C floor is the dashed 1.00), so the legend names the loop, not the implementation: it fits the legend's width.
      const key = `${x.loop ? `${x.loop} loop` : peerRowName(x.impl, x.loop)}, ${peersStrategyLabel(x.strategy, x.chunk ?? j.config.chunk)}`;
      const s = byKey.get(key) ?? { label: key, color: byKey.size, points: [] };
      s.points.push([j.config.entries, x.ratioToC]);
      byKey.set(key, s);
    }
  }
  for (const s of byKey.values()) s.points.sort((a, b) => a[0] - b[0]);
  return [...byKey.values()];
}

/** Ratio to C against entries: log₂ x, linear y, C's 1.00 dashed. */
export function sizeSvg(id: string, label: string, series: SizeSeries[]): string {
  const plotW = WIDTH - M.left - M.right;
  const plotH = M.height - M.top - M.bottom;
  const sizes = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const ratios = series.flatMap((s) => s.points.map((p) => p[1]));
  const lo = Math.min(0.9, Math.floor(Math.min(...ratios) * 20) / 20);
  const hi = Math.max(1.1, Math.ceil(Math.max(...ratios) * 20) / 20);
  const x0 = Math.log2(sizes[0]!);
  const x1 = Math.max(x0 + 1, Math.log2(sizes[sizes.length - 1]!));
  const x = (n: number) => M.left + ((Math.log2(n) - x0) / (x1 - x0)) * plotW;
  const y = (v: number) => M.top + plotH - ((v - lo) / (hi - lo)) * plotH;
  const out = [`<svg class="chart" id="${esc(id)}" viewBox="0 0 ${WIDTH} ${M.height}" width="${WIDTH}" height="${M.height}" role="img" aria-label="${esc(label)}">\n<title>${esc(label)}</title>`];
  const step = hi - lo > 1 ? 0.25 : hi - lo > 0.4 ? 0.1 : 0.05;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + 1e-9; t += step) ticks.push(Math.round(t * 100) / 100);
  for (const t of ticks) {
    out.push(`<line class="grid" x1="${M.left}" x2="${M.left + plotW}" y1="${px(y(t))}" y2="${px(y(t))}"/>`);
    out.push(`<text class="tick" x="${M.left - 8}" y="${px(y(t))}" text-anchor="end" dominant-baseline="middle">${t.toFixed(2)}×</text>`);
  }
  for (const n of sizes) {
    out.push(`<line class="grid" x1="${px(x(n))}" x2="${px(x(n))}" y1="${M.top}" y2="${M.top + plotH}"/>`);
    out.push(`<text class="tick" x="${px(x(n))}" y="${M.top + plotH + 18}" text-anchor="middle">${esc(entriesLabel(n))}</text>`);
  }
  out.push(`<line class="axis" x1="${M.left}" x2="${M.left + plotW}" y1="${M.top + plotH}" y2="${M.top + plotH}"/>`);
  out.push(`<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + plotH}"/>`);
  out.push(`<line class="reference" x1="${M.left}" x2="${M.left + plotW}" y1="${px(y(1))}" y2="${px(y(1))}"><title>C, raw syscalls: 1.00×, the floor</title></line>`);
  out.push(`<text class="axis-label" x="${px(M.left + plotW / 2)}" y="${M.height - 10}" text-anchor="middle">entries in the map (log scale)</text>`);
  out.push(`<text class="axis-label" transform="translate(14 ${px(M.top + plotH / 2)}) rotate(-90)" text-anchor="middle">median time ÷ C's (same run)</text>`);
  let ly = M.top + 8;
  const lx = M.left + plotW + 22;
  for (const s of series) {
    out.push(`<g class="k${s.color % 8}">`);
    out.push(`<polyline class="series" points="${s.points.map(([n, v]) => `${px(x(n))},${px(y(v))}`).join(' ')}"/>`);
    for (const [n, v] of s.points) out.push(`<circle class="dot" cx="${px(x(n))}" cy="${px(y(v))}" r="4"><title>${esc(`${s.label}, ${fmtInt(n)} entries: ${fmtRatio(v)} C`)}</title></circle>`);
    out.push(`<line class="key series" x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}"/>`);
    out.push(`<text class="legend" x="${lx + 32}" y="${ly}" dominant-baseline="middle">${esc(s.label)}</text>`);
    ly += 20;
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}

/** Adds the figure when the peers results cover two or more sizes. */
export function sizeFigure(figs: Figures, peers: Peers[], id: string): void {
  const sizes = new Set(peers.map((p) => p.json.config.entries));
  if (sizes.size < 2) return;
  const series = sizeSeries(peers.map((p) => p.json));
  if (!series.length) return;
  const list = [...sizes]
    .sort((a, b) => a - b)
    .map(entriesLabel)
    .join(', ');
  figs.add(
    sizeSvg(id, `bpfbench's time over C's against map size: ${list}`, series),
    'bpfbench against C, by map size',
    'Each point is one peers result’s median time of a bpfbench row over C’s median, same strategy, measured in alternation in that run; dashed: C, 1.00×. A row that failed verification has no point.',
    `peers results at ${esc(list)} entries: ${peers.map((p) => esc(p.file)).join(', ')}`,
    [],
  );
}

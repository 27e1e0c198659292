// A line chart of ns/entry against chunk (log₂ x axis), one line per map
// size, with each size's per-element level as a dashed reference line: an
// SVG string, written by the tool itself, viewable in any browser.

export interface SweepSeries {
  label: string;
  /** [chunk, ns/entry] points. */
  points: [number, number][];
  /** elem's ns/entry for this size (a dashed line), if measured. */
  reference?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function sweepSvg(series: SweepSeries[], title: string, width = 760, height = 460): string {
  const m = { left: 70, right: 170, top: 40, bottom: 50 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => [...s.points.map((p) => p[1]), ...(s.reference !== undefined ? [s.reference] : [])]);
  const x0 = Math.log2(Math.min(...xs));
  const x1 = Math.max(x0 + 1, Math.log2(Math.max(...xs)));
  // log₁₀ y: per-element and batch levels differ by 10–50×.
  const y0 = Math.floor(Math.log10(Math.max(1, Math.min(...ys))));
  const y1 = Math.ceil(Math.log10(Math.max(...ys) * 1.05));
  const px = (c: number) => m.left + ((Math.log2(c) - x0) / (x1 - x0)) * w;
  const py = (v: number) => m.top + h - ((Math.log10(v) - y0) / Math.max(1, y1 - y0)) * h;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${m.left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`);
  // Grid and ticks.
  for (let e = y0; e <= y1; e++) {
    for (const k of [1, 2, 5]) {
      const v = k * 10 ** e;
      if (v < 10 ** y0 || v > 10 ** y1) continue;
      const y = py(v).toFixed(1);
      out.push(`<line class="grid" x1="${m.left}" x2="${m.left + w}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${m.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${v.toLocaleString('en-US')}</text>`);
    }
  }
  for (const c of [...new Set(xs)].sort((a, b) => a - b)) {
    const x = px(c).toFixed(1);
    out.push(`<line class="grid" x1="${x}" x2="${x}" y1="${m.top}" y2="${m.top + h}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${x}" y="${m.top + h + 18}" text-anchor="middle">${c.toLocaleString('en-US')}</text>`);
  }
  out.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${m.top + h}" y2="${m.top + h}" stroke="black"/>`);
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + h}" stroke="black"/>`);
  out.push(`<text x="${m.left + w / 2}" y="${height - 12}" text-anchor="middle">chunk (entries per LOOKUP_BATCH call, log scale)</text>`);
  out.push(`<text transform="translate(18 ${m.top + h / 2}) rotate(-90)" text-anchor="middle">ns per entry (log scale)</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    if (s.reference !== undefined) {
      const y = py(s.reference).toFixed(1);
      out.push(`<line class="reference" x1="${m.left}" x2="${m.left + w}" y1="${y}" y2="${y}" stroke="${color}" stroke-dasharray="6 4"/>`);
    }
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    out.push(`<polyline class="series" fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([c, v]) => `${px(c).toFixed(1)},${py(v).toFixed(1)}`).join(' ')}"/>`);
    for (const [c, v] of pts) out.push(`<circle cx="${px(c).toFixed(1)}" cy="${py(v).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = m.top + 10 + i * 40;
    out.push(`<line x1="${m.left + w + 15}" x2="${m.left + w + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${m.left + w + 45}" y="${ly}" dominant-baseline="middle">${esc(s.label)} batch</text>`);
    if (s.reference !== undefined) {
      out.push(`<line x1="${m.left + w + 15}" x2="${m.left + w + 40}" y1="${ly + 16}" y2="${ly + 16}" stroke="${color}" stroke-dasharray="6 4"/>`);
      out.push(`<text x="${m.left + w + 45}" y="${ly + 16}" dominant-baseline="middle">${esc(s.label)} elem</text>`);
    }
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

// Small pieces every chart of the HTML report uses: coordinates and axis
// ticks. Pure functions; the text formatting and escaping are format.ts's.

/** A number for an SVG coordinate: one decimal, no `-0`. */
export function px(n: number): string {
  const s = n.toFixed(1);
  return s === '-0.0' ? '0.0' : s;
}

/** A linear axis from 0: a step of 1, 2 or 5 × 10ᵏ giving about `target` intervals, and the ticks up to the first one ≥ max. */
export function linearTicks(max: number, target = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  const step = (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  const ticks: number[] = [];
  for (let i = 0; ; i++) {
    const t = Number((i * step).toPrecision(12));
    ticks.push(t);
    if (t >= max) break;
  }
  return ticks;
}

/** Log₁₀ ticks 1, 2, 5 × 10ᵏ within [lo, hi]. */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const k of [1, 2, 5]) {
      const v = Number((k * 10 ** e).toPrecision(12));
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}

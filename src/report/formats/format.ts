// The one place numbers, durations and sizes are formatted, and text is
// escaped for HTML and SVG: every table, export, chart and page takes its
// formatters from here. Where two renderings differ (a table's `4.21 ms`,
// a tight column's `4.21ms`, an axis tick's `4 ms`), they are named styles of
// one function, not copies.

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * How a duration is written:
 * - `text`: two decimals and a space, minutes from 10 min: `812 ns`, `4.21 ms`, `88.92 s` (tables, lines);
 * - `compact`: three significant digits, no space, for tight columns: `880ns`, `1.70µs`, `12.3µs`, `980µs`;
 * - `tick`: up to three significant digits, no trailing zeros, for axes and charts: `800 ns`, `2 µs`, `1.5 ms`.
 */
export type DurationStyle = 'text' | 'compact' | 'tick';

/** A duration in nanoseconds, in the unit that reads best, in one of the styles (default `text`). */
export function fmtDuration(ns: number, style: DurationStyle = 'text'): string {
  if (!Number.isFinite(ns)) return '—';
  const [v, unit] = ns < 1e3 ? [ns, 'ns'] : ns < 1e6 ? [ns / 1e3, 'µs'] : ns < 1e9 ? [ns / 1e6, 'ms'] : [ns / 1e9, 's'];
  if (style === 'compact') return `${v >= 100 || unit === 'ns' ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}${unit}`;
  if (style === 'tick') return `${Number(v.toPrecision(3))} ${unit}`;
  const a = Math.abs(ns);
  if (a < 1e3) return `${ns.toFixed(0)} ns`;
  if (a < 1e6) return `${(ns / 1e3).toFixed(2)} µs`;
  if (a < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  if (a < 600e9) return `${(ns / 1e9).toFixed(2)} s`;
  return `${(ns / 60e9).toFixed(1)} min`;
}

/** ns per entry with 3 significant digits: `2,311`, `334`, `0.52`. */
export function fmtNsPerEntry(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  if (ns >= 100) return fmtInt(ns);
  if (ns >= 10) return ns.toFixed(1);
  return ns.toFixed(2);
}

/** A rate: `1.23 M/s`, `456.0 k/s`; `short`, for tight columns: `1.23M`, `456.0k`, `12`. */
export function fmtRate(perSec: number, style: 'unit' | 'short' = 'unit'): string {
  if (style === 'short') return perSec >= 1e6 ? `${(perSec / 1e6).toFixed(2)}M` : perSec >= 1e3 ? `${(perSec / 1e3).toFixed(1)}k` : perSec.toFixed(0);
  if (!Number.isFinite(perSec)) return '—';
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)} M/s`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(1)} k/s`;
  return `${perSec.toFixed(0)} /s`;
}

/** Bytes with a binary unit, signed: `+1.2 MiB`, `-340 B`. */
export function fmtBytes(b: number, signed = false): string {
  const sign = b < 0 ? '-' : signed ? '+' : '';
  const a = Math.abs(b);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = a;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${sign}${u === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

/** A ratio: `7.41×`. */
export function fmtRatio(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`;
}

/** A speedup as the summary line writes it: `19.1`, `3.83`, `112` (the × is the caller's). */
export const fmtX = (x: number) => x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2);

/** A fraction as a percentage, two significant digits below 10 %: `37 %`, `4.2 %`, `0.05 %`. */
export function fmtPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  const p = fraction * 100;
  return `${p >= 10 || p === 0 ? p.toFixed(0) : String(Number(p.toPrecision(2)))} %`;
}

const MI = 1024 * 1024;

/** `1Mi`, `100Mi`, `4096`: an entries count as people write it. */
export function entriesLabel(n: number): string {
  if (n % MI === 0) return `${n / MI}Mi`;
  if (n % 1024 === 0) return `${n / 1024}Ki`;
  return String(n);
}

/** An axis tick: `5,000`, `20`, `0.5`. */
export function tickLabel(v: number): string {
  if (v >= 1000) return Math.round(v).toLocaleString('en-US');
  return String(Number(v.toPrecision(3)));
}

/**
 * Text or an attribute value escaped for HTML and SVG: & < > always, and
 * the quotes unless `quotes` is false (the sweep's SVG file escapes text
 * content only, and keeps its bytes).
 */
export function esc(s: string | number, quotes = true): string {
  const t = String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return quotes ? t.replace(/"/g, '&quot;').replace(/'/g, '&#39;') : t;
}

/** A result's machine facts (context.machine), the parts that change a syscall's cost. */
interface MachineContext {
  machine?: {
    mitigations: Record<string, string>;
    bpfJit: { enable: string | null; harden: string | null };
    hypervisor: string;
    smt: string | null;
    clocksource: string | null;
    thp: string | null;
  };
  injectNs?: number | null;
}

/**
 * One line: the mitigations in force (those not "Not affected"), the BPF
 * JIT, hypervisor, SMT, clock source and THP; null for a result from before
 * they were recorded.
 */
export function machineText(ctx: MachineContext): string | null {
  const m = ctx.machine;
  if (!m) return null;
  const on = Object.entries(m.mitigations).filter(([, v]) => !/^Not affected$/i.test(v));
  const mit = on.length ? on.map(([k, v]) => `${k}: ${v.replace(/^Mitigation: /, '')}`).join(', ') : 'none in force';
  return `mitigations ${mit} · BPF JIT ${m.bpfJit.enable ?? '?'} (harden ${m.bpfJit.harden ?? '?'}) · hypervisor ${m.hypervisor} · SMT ${m.smt ?? '?'} · clocksource ${m.clocksource ?? '?'} · THP ${m.thp ?? '?'}`;
}

/** The calibration's injected slowdown, whenever it was set: a line no reader can miss. */
export function injectText(ctx: MachineContext): string | null {
  if (ctx.injectNs === undefined) return null;
  return `INJECTED SLOWDOWN (calibration): the native loop busy-waited ${ctx.injectNs === null ? '? (the library did not load)' : ctx.injectNs} ns after every syscall (BPFBENCH_INJECT_NS)`;
}

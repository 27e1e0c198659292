// Number formatting shared by the table and the summary.

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A duration in nanoseconds, in the unit that reads best: `812 ns`, `4.21 ms`, `88.92 s`. */
export function fmtDuration(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
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

/** A rate: `1.23 M/s`, `456 k/s`. */
export function fmtRate(perSec: number): string {
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

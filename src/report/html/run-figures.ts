// The report page's run results: the headline speedup with its interval;
// ns/entry per strategy with whiskers, and where the kernel's audit timed
// it, the share of a read spent inside bpf(2); per-call latency where a
// result carries it. Pure functions returning HTML strings.
import { isReference, paletteOf, referenceOf } from '../../strategies/index.js';
import { configTitle, runConfiguration } from '../analysis/configuration.js';
import { entriesLabel, esc, fmtDuration, fmtInt, fmtNsPerEntry, fmtPercent, fmtRatio, fmtX } from '../formats/format.js';
import type { StrategyResultJson } from '../result/strategy-json.js';
import { callLatencies } from '../schema/index.js';
import { barsSvg, latencySvg, type Bar, type BarPanel, type LatencySeries } from './charts.js';
import { code, plural, runWhat, sourceLine, whereMeasured, type Figures, type Run } from './figure.js';

/** Each strategy keeps its colour on every chart (its `palette` index, see style.ts; 7: the neutral one). */
const strategyColor = (s: string) => paletteOf(s, 7);

/** The fastest verified strategy's speedup over the reference (elem), mean ± σ: the page's first figure. */
export function headlineCard(r: Run): string | null {
  const s = r.json.summary;
  const where = `${configTitle(runConfiguration(r.json))} · ${whereMeasured(r)}`;
  if (!s.ok) {
    return `<div class="card failed"><div class="big">FAILED</div><div class="what">${esc(s.line)}</div><div class="where">${esc(where)}</div><div class="how">${code(r.file)}</div></div>`;
  }
  const ref = referenceOf(r.json.results);
  const candidates = r.json.results.filter((x) => !isReference(x.strategy) && x.verified.ok && s.speedupMean[x.strategy]);
  if (!ref || !candidates.length) return null;
  const best = candidates.reduce((a, b) => (s.speedupMean[b.strategy]!.x > s.speedupMean[a.strategy]!.x ? b : a));
  const m = s.speedupMean[best.strategy]!;
  const faster = m.x >= 1;
  const x = faster ? m.x : 1 / m.x;
  const pm = m.sd !== null && faster ? `<span class="pm"> ± ${fmtX(m.sd)}</span>` : '';
  const what = faster ? `${best.label} reads ${fmtInt(best.verified.entries)} entries this much faster than ${ref.strategy}` : `${best.label} is this much slower than ${ref.strategy}`;
  const how = m.sd !== null ? `mean time over ${best.runs} and ${ref.runs} runs; ± one standard deviation, propagated from both` : 'one run each: no interval';
  return `<div class="card"><div class="big"><span class="x">${fmtX(x)}</span>${pm}×</div><div class="what">${esc(what)}</div><div class="where">${esc(where)}</div><div class="how">${esc(how)} · ${code(r.file)}</div></div>`;
}

/** `37 % of the audit read inside bpf(2)`, where the kernel timed the strategy's audit read; null where it did not. */
function kernelShare(s: StrategyResultJson): string | null {
  return s.kernelTime ? `${fmtPercent(s.kernelTime.fractionOfWall)} of the audit read inside bpf(2)` : null;
}

/** The audit read in words: the first warmup read, a whole read of its own, or the first N entries of one. */
function auditRead(s: StrategyResultJson): string {
  const read = s.syscalls?.audit?.read ?? s.kernelTime?.read;
  if (read === 'warmup') return 'the first warmup read';
  if (read === 'prefix') return `a read of its own stopped after ${fmtInt(s.syscalls.audit!.entries)} entries`;
  return 'a whole read of its own';
}

/** The caption's kernel-time sentence for the runs that carry one (which read was audited said once where all agree); '' for none. */
function kernelTimeText(runs: Run[]): string {
  const timed = runs.flatMap((r) => r.json.results.filter((s) => s.kernelTime).map((s) => ({ r, s })));
  if (!timed.length) return '';
  const reads = new Set(timed.map((t) => auditRead(t.s)));
  const one = reads.size === 1;
  const each = timed.map(({ r, s }) => {
    const perCall = Object.entries(s.kernelTime!.nsPerCall).map(([cmd, ns]) => `${fmtDuration(ns, 'tick')} per ${cmd}`);
    const who = runs.length > 1 ? `${r.file} ${s.label}` : s.label;
    return `${who}: ${kernelShare(s)} (${[...(one ? [] : [auditRead(s)]), perCall.join(', ')].join('; ')})`;
  });
  const audit = one ? `${[...reads][0]}, untimed` : 'an untimed read';
  return `Inside the kernel, from each strategy’s audit read (${audit}, the syscall counter attached: its tracepoints slow every call, so these are rough figures): ${esc(each.join('; '))}.`;
}

/** One panel per run result on one scale: the strategies' ns/entry, whiskers from the fastest to the slowest run. */
export function runsFigure(figs: Figures, runs: Run[], id: string): void {
  const panels: BarPanel[] = runs.map((r) => ({
    title: runs.length > 1 ? `${configTitle(runConfiguration(r.json))} · ${r.file}` : '',
    bars: r.json.results.map((s): Bar => {
      const n = Math.max(1, s.verified.entries);
      const speed = r.json.summary.speedup[s.strategy];
      const lo = s.wallNs.min / n;
      const hi = s.wallNs.max / n;
      const share = kernelShare(s);
      return {
        label: s.label,
        value: s.nsPerEntry,
        lo,
        hi,
        color: strategyColor(s.strategy),
        valueText: `${fmtNsPerEntry(s.nsPerEntry)} ns`,
        note: !s.verified.ok ? 'FAILED verification' : isReference(s.strategy) || speed === undefined ? '' : `${fmtRatio(speed)} faster`,
        failed: !s.verified.ok,
        tooltip: `${s.label}: median ${fmtNsPerEntry(s.nsPerEntry)} ns/entry over ${plural(s.runs, 'run')}; fastest ${fmtNsPerEntry(lo)}, slowest ${fmtNsPerEntry(hi)}${share ? `; ${share}` : ''}`,
      };
    }),
  }));
  const sizes = [...new Set(runs.map((r) => entriesLabel(r.json.config.entries)))];
  const svg = barsSvg(id, `Nanoseconds per entry by strategy: ${runs.map((r) => configTitle(runConfiguration(r.json))).join('; ')}`, panels, 'ns per entry (median)', { shared: true });
  const multi = runs.some((r) => r.json.results.some((s) => s.runs > 1));
  const single = runs.some((r) => r.json.results.some((s) => s.runs === 1));
  const interval = multi ? `whiskers span the fastest to the slowest run (wallNs min–max, per entry)${single ? '; a strategy measured once has none' : ''}` : 'one run per strategy: no interval';
  const sources = runs.map((r) => sourceLine(r, runWhat(r))).join('');
  const caveats = runs.flatMap((r) => r.json.warnings.map((w) => (runs.length > 1 ? `${r.file}: ${w}` : w)));
  figs.add(
    svg,
    `Time per entry, ${sizes.join(' and ')} entries`,
    [
      `Bars: the median time of a whole read divided by the entries it returned; ${interval}. “faster”: median elem time over this strategy’s.`,
      runs.length > 1 ? 'One scale for all panels.' : '',
      kernelTimeText(runs),
    ]
      .filter((x) => x)
      .join(' '),
    sources,
    caveats,
  );
}

/** The distribution of single bpf(2) calls per strategy (and command), where the result carries `callLatency`; false where none does. */
export function latencyFigure(figs: Figures, r: Run): boolean {
  const series: LatencySeries[] = [];
  for (const s of r.json.results) {
    // A colour per line: a strategy may have one per bpf command.
    for (const d of callLatencies((s as { callLatency?: unknown }).callLatency)) {
      series.push({ label: d.name ? `${s.label} · ${d.name}` : s.label, color: series.length, values: [d.p.p50, d.p.p90, d.p.p99, d.p.p999, d.p.max] });
    }
  }
  if (!series.length) return false;
  const svg = latencySvg(figs.nextId(), `Time per bpf call by percentile, ${configTitle(runConfiguration(r.json))}`, series);
  const rows = series.map(
    (s) =>
      `${s.label}: p50 ${fmtDuration(s.values[0], 'tick')}, p90 ${fmtDuration(s.values[1], 'tick')}, p99 ${fmtDuration(s.values[2], 'tick')}, p99.9 ${fmtDuration(s.values[3], 'tick')}, max ${fmtDuration(s.values[4], 'tick')}`,
  );
  figs.add(
    svg,
    `Time per bpf call, ${entriesLabel(r.json.config.entries)} entries`,
    `The distribution of single bpf(2) calls, by percentile (the x axis is evenly spaced in nines; y is logarithmic). ${esc(rows.join('; '))}.`,
    sourceLine(r, runWhat(r)),
  );
  return true;
}

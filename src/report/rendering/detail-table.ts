// The detail table of a run (--verbose): every figure of each strategy (CPU,
// syscalls by command, the audit, per-call latency, the time per entry
// decomposed), and the noise line under it.
import Table from 'cli-table3';
import { paint } from '../formats/color.js';
import type { RunResultJson } from '../result/run-json.js';
import type { StrategyResultJson } from '../result/strategy-json.js';
import { processCallsLine } from './process-calls.js';
import { fmtBytes, fmtDuration, fmtInt, fmtNsPerEntry, fmtRate } from '../formats/format.js';
import { type RenderOptions, allocCell } from './table.js';

/** The verbose cell, three lines: `p50 1.57µs · p90 1.77µs · p99 2.04µs` / `p99.9 47.1µs · max 9.59ms` / `95,326 calls, 1 in 11 timed`. */
export function callLatencyCell(s: StrategyResultJson): string | undefined {
  const l = s.callLatency;
  if (!l) return undefined;
  const timed = l.sampledEvery === 1 ? 'every call timed' : `1 in ${l.sampledEvery} timed`;
  return `p50 ${fmtDuration(l.p50, 'compact')} · p90 ${fmtDuration(l.p90, 'compact')} · p99 ${fmtDuration(l.p99, 'compact')}\np99.9 ${fmtDuration(l.p999, 'compact')} · max ${fmtDuration(l.max, 'compact')}\n${fmtInt(l.count)} calls, ${timed}`;
}

function cmdList(bpf: Record<string, number>): string {
  return Object.entries(bpf)
    .map(([k, n]) => `${k} ${fmtInt(n)}`)
    .join(', ');
}

/** The audit read, in words: which read, and how much of the map. */
function auditWords(s: StrategyResultJson): string {
  const a = s.syscalls.audit;
  if (!a) return '';
  if (a.read === 'warmup') return s.syscalls.kernelCountedRead ?? 'warmup';
  return a.read === 'prefix' ? `audit read, first ${fmtInt(a.entries)} entries` : 'audit read, whole map';
}

const perEntryFigure = (x: number) => (x >= 0.1 ? x.toFixed(2) : x.toFixed(4));
/** ns as ns up to 100 µs (`870 ns`, `1,268 ns`), in a larger unit above (`1.27 ms`). */
const fmtNs = (ns: number) => (ns < 1e5 ? `${fmtNsPerEntry(ns)} ns` : fmtDuration(ns));

/**
 * Where one strategy's read time goes, from its audit read (tracepoints
 * attached): `2.00 calls/entry, ~870 ns each in the kernel, ~1,200 ns/entry
 * outside`; undefined when the kernel did not time it.
 */
export function timeDecomposition(s: StrategyResultJson): string | undefined {
  const a = s.syscalls.audit;
  const t = s.kernelTime;
  if (!a || !t || a.entries === 0 || a.kernel.bpfTotal === 0) return undefined;
  const calls = a.kernel.bpfTotal;
  const outside = Math.max(0, a.wallNs - t.bpfNs) / a.entries;
  return `${perEntryFigure(calls / a.entries)} calls/entry, ~${fmtNs(t.bpfNs / calls)} each in the kernel, ~${fmtNsPerEntry(outside)} ns/entry outside`;
}

/** The detail table (--verbose): every figure of every strategy, one strategy per block; then where the time goes. */
export function renderRunDetail(r: RunResultJson, opts: RenderOptions): string {
  const c = paint(opts.color);
  const t = new Table({ head: ['', ...r.results.map((s) => s.label)].map((h) => c.bold(h)), style: { head: [], border: opts.color ? ['grey'] : [] }, wordWrap: true });
  const row = (name: string, f: (s: StrategyResultJson) => string) => t.push([c.dim(name), ...r.results.map(f)]);
  const notCounted = c.dim('not counted');
  row('entries read', (s) => `${fmtInt(s.verified.entries)} (${fmtInt(s.verified.distinct)} distinct)`);
  row('runs (+warmup)', (s) => `${s.runs} (+${s.warmupRuns}${s.syscalls.audit && s.syscalls.audit.read !== 'warmup' ? ' +1 audit read' : ''})`);
  row('wall mean ± σ', (s) => `${fmtDuration(s.wallNs.mean)} ± ${fmtDuration(s.wallNs.sd)}`);
  row('wall min … max', (s) => `${fmtDuration(s.wallNs.min)} … ${fmtDuration(s.wallNs.max)}`);
  row('margin of error', (s) => (s.wallNs.rme === null ? '—' : `±${s.wallNs.rme.toFixed(1)}% (95%)`));
  row('entries/s', (s) => fmtRate(s.entriesPerSec));
  row('CPU user / sys', (s) => `${fmtDuration(s.cpu.userNs)} / ${fmtDuration(s.cpu.sysNs)}`);
  row('bpf calls (self)', (s) => cmdList(s.syscalls.bpf) + c.dim(` (${s.syscalls.read})`));
  row('bpf calls (kernel)', (s) => (s.syscalls.kernel ? cmdList(s.syscalls.kernel.bpf) + (s.syscalls.agree ? c.green(' ✓') : c.red.bold(' ✗ differs')) + c.dim(` (${auditWords(s)})`) : notCounted));
  row('timed vs audited', (s) =>
    s.syscalls.matchesAudit === null ? notCounted : s.syscalls.matchesAudit ? c.green(s.syscalls.audit?.read === 'prefix' ? 'same calls per entry' : 'same calls') : c.red.bold('✗ other calls'),
  );
  row('all syscalls (kernel)', (s) => (s.syscalls.kernel ? fmtInt(s.syscalls.kernel.total) : notCounted));
  row('in bpf(2) (audit read)', (s) =>
    s.kernelTime
      ? `${Object.entries(s.kernelTime.nsPerCall)
          .map(([k, ns]) => `${k} ${fmtNs(ns)}`)
          .join(', ')}; ${(s.kernelTime.fractionOfWall * 100).toFixed(0)}% of wall`
      : c.dim(s.syscalls.kernel ? 'not timed' : 'not counted'),
  );
  row('per call (timed reads)', (s) => callLatencyCell(s) ?? c.dim('not timed'));
  row('allocated', (s) => `${fmtBytes(s.memory.allocatedBytes)} (${allocCell(s)} B/entry)`);
  row('heap Δ / external Δ', (s) => `${fmtBytes(s.memory.heapUsedDeltaBytes, true)} / ${fmtBytes(s.memory.externalDeltaBytes, true)}`);
  row('GCs (pause)', (s) => `${s.memory.gcCount} (${fmtDuration(s.memory.gcPauseNs)})`);
  row('RSS peak', (s) => fmtBytes(s.memory.rssPeakBytes));
  const lines = r.results.flatMap((s) => {
    const d = timeDecomposition(s);
    return d ? [`${s.label}: ${d} ${c.dim(`(${auditWords(s)}, tracepoints attached)`)}`] : [];
  });
  const own = r.process ? [c.dim(processCallsLine(r.process))] : [];
  if (!lines.length) return [t.toString(), ...own].join('\n');
  return [t.toString(), c.bold("Where a read's time goes (the audit read, with the counter's tracepoints attached: rough figures)"), ...lines.map((l) => `  ${l}`), ...own].join('\n');
}

/**
 * What disturbed a strategy's reads, and why --runs auto stopped: `elem:
 * reads 2, 5 of 9 disturbed (steal 12 ms, 40 involuntary switches, 1
 * migration); stopped: the median within ±2 %`. null without noise figures.
 */
export function noiseLine(s: RunResultJson['results'][number]): { text: string; disturbed: boolean } | null {
  if (!s.noise) return null;
  const bad = s.noise.map((n, i) => (n.disturbed ? i + 1 : 0)).filter((i) => i > 0);
  const sum = (f: (n: NonNullable<typeof s.noise>[number]) => number) => s.noise!.reduce((a, n) => a + f(n), 0);
  const mig = s.noise.some((n) => n.migrations === null) ? 'migrations not exposed' : `${sum((n) => n.migrations ?? 0)} migrations`;
  const stopped =
    s.stoppedBy === 'precision'
      ? '; stopped: the median within --precision'
      : s.stoppedBy === 'budget'
        ? '; stopped: --budget spent before the median reached --precision'
        : s.stoppedBy === 'max runs'
          ? '; stopped: the most reads --runs auto takes'
          : '';
  const what = `steal ${fmtDuration(sum((n) => n.stealNs))}, ${sum((n) => n.involuntarySwitches)} involuntary switches, ${mig}`;
  const text = bad.length ? `${s.label}: read${bad.length > 1 ? 's' : ''} ${bad.join(', ')} of ${s.noise.length} disturbed (${what})${stopped}` : `${s.label}: no read disturbed (${what})${stopped}`;
  return { text, disturbed: bad.length > 0 };
}

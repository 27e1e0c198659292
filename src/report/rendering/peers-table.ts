// The peers comparison: every implementation × strategy, against the C floor,
// with each one's bpf calls as the kernel counted them.
import type { CallCount, PeerLoop } from '../../harness/peers/peer-cells.js';
import { judgeRatio, referenceOf, type RatioDecision, type RatioGateSpec } from '../../harness/peers/ratio-gate.js';
import { BOOTSTRAP_METHOD } from '../../harness/measuring/stats.js';
import { strategyByName, strategyLabel } from '../../strategies/index.js';
import { paint } from '../formats/color.js';
import { fmtInt, fmtNsPerEntry, fmtRatio, injectText, machineText } from '../formats/format.js';
import { compactTable } from './table.js';
import type { PeerCellJson, PeersResultJson } from '../result/peers-result.js';

/** One bpfbench row's ratio gate: the ratio with its interval, the change against the reference, the verdict. */
export interface PeersGateRowJson {
  impl: string;
  loop?: PeerLoop;
  strategy: string;
  /** null: nothing to judge (no verified C row, or the row failed): the gate fails. */
  decision: RatioDecision | null;
  /** Why there is no decision; null with one. */
  why: string | null;
}

export interface PeersGateJson {
  reference: number | Record<string, number>;
  threshold: number;
  method: string;
  /** Rounds read (--rounds at least, then one at a time until decided or maxRounds). */
  rounds: number;
  maxRounds: number;
  /** 'decided': every row decided; 'max rounds': the cap came first. */
  stop: 'decided' | 'max rounds';
  rows: PeersGateRowJson[];
  /** The worst row's: regressed (or not judged), else undecided, else passed. */
  verdict: 'regressed' | 'undecided' | 'passed';
}

/** The ratio gate over a result's rows (bpfbench's rows against C's, by round). */
export function peersGate(results: readonly PeerCellJson[], spec: RatioGateSpec): PeersGateJson {
  const rows = results
    .filter((x) => x.impl === 'ts')
    .map((x): PeersGateRowJson => {
      const c = results.find((y) => y.impl === 'c' && y.strategy === x.strategy);
      const ref = referenceOf(spec, x.strategy);
      const base = { impl: x.impl, ...(x.loop ? { loop: x.loop } : {}), strategy: x.strategy };
      if (ref === undefined) return { ...base, decision: null, why: `no reference ratio for ${x.strategy}` };
      if (!c?.verified.ok || !c.wallNs) return { ...base, decision: null, why: c ? `C ${x.strategy} failed` : `no C ${x.strategy} row` };
      if (!x.verified.ok || !x.wallNs) return { ...base, decision: null, why: 'its read failed' };
      return { ...base, decision: judgeRatio(x.wallNs.samples, c.wallNs.samples, ref, spec.threshold), why: null };
    });
  const rounds = Math.max(0, ...results.map((x) => x.runs));
  const v = rows.map((r) => r.decision?.verdict ?? 'regressed');
  const verdict = v.includes('regressed') || rows.length === 0 ? 'regressed' : v.includes('undecided') ? 'undecided' : 'passed';
  return {
    reference: spec.reference,
    threshold: spec.threshold,
    method: `${BOOTSTRAP_METHOD}, of the median of the rounds' ratios (bpfbench's read / C's read of the same round)`,
    rounds,
    maxRounds: spec.maxRounds,
    stop: v.includes('undecided') ? 'max rounds' : 'decided',
    rows,
    verdict,
  };
}

const sgnPct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;

/** The gate's lines: one per row, and the verdict. */
export function renderPeersGate(g: PeersGateJson, color: boolean): string {
  const c = paint(color);
  const lines = g.rows.map((r) => {
    const name = `${implLabel(r)} ${r.strategy}`;
    if (!r.decision) return c.red.bold(`gate: ${name}: FAILED, cannot judge: ${r.why}`);
    const d = r.decision;
    const text = `gate: ${name} ${fmtRatio(d.ratio.x)} C (95 % ${d.ratio.lo.toFixed(3)}…${d.ratio.hi.toFixed(3)}), ceiling ${(d.reference * (1 + g.threshold)).toFixed(3)} (${d.reference.toFixed(3)} × (1 + ${(g.threshold * 100).toFixed(0)} %)): ${sgnPct(d.change.x)} (${sgnPct(d.change.lo)}…${sgnPct(d.change.hi)}) ${d.verdict}${d.verdict === 'undecided' ? (d.moreRounds === null ? ', on the threshold' : `, ~${d.moreRounds} more rounds`) : ''}`;
    return d.verdict === 'regressed' ? c.red.bold(text) : d.verdict === 'undecided' ? c.yellow(text) : text;
  });
  lines.push(c.bold(`gate: ${g.verdict} after ${g.rounds} rounds (${g.stop === 'decided' ? 'every row decided' : `the cap of ${g.maxRounds} rounds came first`}; ${g.method})`));
  return lines.join('\n');
}

export function peersStrategyLabel(strategy: string, chunk: number): string {
  const s = strategyByName(strategy);
  return s ? strategyLabel(s, chunk) : strategy;
}

/** The same, with the threads of a sharded strategy (`batch-sharded(4096)×2`). */
export function peersStrategyLabelWithThreads(strategy: string, chunk: number, threads: number | null | undefined): string {
  const s = strategyByName(strategy);
  return s?.usesThreads && threads != null ? `${peersStrategyLabel(strategy, chunk)}×${threads}` : peersStrategyLabel(strategy, chunk);
}

/** The implementations' names, C (the floor) first, in the order the report lists them. */
export const IMPL_LABEL: Record<string, string> = { c: 'C, raw syscalls', ts: 'bpfbench (TypeScript)', go: 'Go, cilium/ebpf', bpftool: 'bpftool map dump', bcc: 'bcc, Python tables' };

/**
 * What a row's time covers: its read on its own clock, its read between its
 * marks on bpfbench's, or its whole process. A row from before these fields:
 * bpftool was timed as a whole process, every other on its own clock.
 */
export function timedText(x: Pick<PeerCellJson, 'impl' | 'timedBy' | 'timeIncludesStartup'>): string {
  if (x.timeIncludesStartup ?? x.impl === 'bpftool') return 'process';
  return x.timedBy === 'bpfbench' ? 'read, marks' : 'read';
}

/** Who counted a row's calls, and over what: `kernel`, `kernel, process`; — when not counted. */
const countedText = (x: PeerCellJson): string => (x.bpfCalls ? `${x.bpfCalls.countedBy}${x.bpfCalls.covers === 'process' ? ', process' : ''}` : '—');

/** A row's implementation as the table names it: `ts (native)`, `C, raw syscalls`. */
export function implLabel(x: Pick<PeerCellJson, 'impl' | 'loop'>): string {
  if (x.impl === 'ts') return `ts (${x.loop ?? 'js'})`;
  return IMPL_LABEL[x.impl] ?? x.impl;
}

/** One line per command, the counts aligned: `65,537 GET_NEXT_KEY`; the whole process marked as such. */
function callsCell(n: CallCount | null): string {
  if (!n) return '—';
  const counts = Object.entries(n.calls).map(([cmd, k]) => [fmtInt(k), cmd] as const);
  const width = Math.max(0, ...counts.map(([k]) => k.length));
  const lines = counts.map(([k, cmd]) => `${k.padStart(width)} ${cmd}`);
  if (n.covers === 'process') lines.push('(its whole process)');
  return lines.join('\n') || 'none';
}

export function renderPeers(r: PeersResultJson, opts: { color: boolean }): string {
  const c = paint(opts.color);
  const label = (x: PeerCellJson) => (x.strategy === 'own' ? 'its own' : peersStrategyLabelWithThreads(x.strategy, x.chunk ?? r.config.chunk, r.config.threads));
  const rows = r.results.map((x) => [
    implLabel(x),
    label(x),
    !x.error && x.verified.ok ? c.green('ok') : !x.error && x.verified.expectedToFail ? c.yellow('FAILED*') : c.red.bold('FAILED'),
    countedText(x),
    timedText(x),
    x.nsPerEntry === null ? '—' : fmtNsPerEntry(x.nsPerEntry),
    x.ratioToC === null ? '—' : fmtRatio(x.ratioToC),
    x.allocatedBytesPerEntry === null ? '—' : x.allocatedBytesPerEntry < 10 ? x.allocatedBytesPerEntry.toFixed(2) : x.allocatedBytesPerEntry.toFixed(0),
    x.gcCount === null ? '—' : String(x.gcCount),
    String(x.runs),
  ]);
  const head = `${c.bold(`bpfbench peers: hash u32→u32, ${fmtInt(r.config.entries)} entries, one pinned map, ${r.gate ? r.gate.rounds : r.config.rounds} rounds in alternation`)}\n${c.dim(`${r.context.kernel} · ${r.context.cpuModel} · ${r.context.cpus} CPUs`)}${[
    machineText(r.context),
  ]
    .filter((x) => x !== null)
    .map((x) => `\n${c.dim(x)}`)
    .join('')}${[injectText(r.context)]
    .filter((x) => x !== null)
    .map((x) => `\n${c.red.bold(x)}`)
    .join('')}`;
  const table = compactTable(
    ['implementation', 'strategy', 'verified', 'counted\nby', 'time\ncovers', 'ns/entry\nmedian', '× C', 'alloc\nB/entry', 'GCs', 'runs'],
    ['left', 'left', 'left', 'left', 'left', 'right', 'right', 'right', 'right', 'right'],
    rows,
    c,
  );
  const selfCell = (x: PeerCellJson) => (x.selfBpfCalls === null ? '—' : x.selfBpfCalls.agrees ? c.green('= ✓') : c.red.bold('≠ ✗'));
  const callRows = r.results.map((x) => [implLabel(x), label(x), callsCell(x.bpfCalls), selfCell(x)]);
  const calls = compactTable(['implementation', 'strategy', 'bpf calls of one read,\ncounted by the kernel', 'own\ncount'], ['left', 'left', 'left', 'left'], callRows, c);
  const time = auditTimeTable(r, label, c);
  const notes: string[] = [];
  if (r.results.some((x) => x.verified.expectedToFail && !x.verified.ok)) notes.push(c.dim('* the published loop: its failed verification is expected'));
  for (const x of r.results) if (x.error || (!x.verified.ok && !x.verified.expectedToFail)) notes.push(c.red.bold(`FAILED ${implLabel(x)} ${x.strategy}: `) + c.red(x.verified.problems.join('; ')));
  for (const s of r.skipped) notes.push(s.broken ? c.red.bold(`FAILED ${s.impl}: `) + c.red(s.why) : c.yellow(`skipped ${s.impl}: ${s.why}`));
  if (r.config.cpu != null) notes.push(cpuNote(r, r.config.cpu, c));
  if (r.results.some((x) => x.impl === 'ts')) notes.push(c.dim('ts: bpfbench itself, its read loop native (C, one koffi call per hand-over) or js (one koffi call per syscall).'));
  notes.push(
    c.dim(
      "time covers: read, on its own clock; read, marks: between its ready and done marks, on bpfbench's clock; process: its whole process, start-up and output included (bpftool). GCs and allocation are per read (Go: MemStats; TypeScript: V8).",
    ),
  );
  if (r.results.some((x) => x.impl === 'bcc'))
    notes.push(
      c.dim(
        "bcc: items() per element; items_lookup_batch() asks each call for what is left of its max_entries-sized buffer, so its chunk is the map's max_entries. Timed: the read into Python objects; verified after.",
      ),
    );
  if (r.results.some((x) => x.strategy === 'own')) notes.push(c.dim('its own: an exec: reader whose command takes no {strategy} reads the map its own way (its bpf calls say how).'));
  notes.push(c.dim("bpf calls: one untimed audit read per row, the syscall counter filtered to its process; own count: the implementation's count of the same read, = ✓ when it equals the kernel's."));
  if (time)
    notes.push(
      c.dim(
        "audit read's time: one untimed read per row with the kernel's tracepoints attached (every row alike): inside = its threads' time in bpf(2), sys_enter to sys_exit; outside = the rest of its wall time: the reader's own work, and each syscall's entry and exit (the same per call for every reader); × C: outside over C's outside, same strategy.",
      ),
    );
  return [head, table, '', calls, ...(time ? ['', time] : []), ...notes, ...(r.gate ? [renderPeersGate(r.gate, opts.color)] : [])].join('\n');
}

/**
 * --cpu: where each row's reads said they ran; a row whose reads ran
 * elsewhere (the pin did not hold) is said in red. Rows that cannot say
 * (Go, bpftool, bcc, exec:) ran pinned from their start but are not listed.
 */
function cpuNote(r: PeersResultJson, cpu: number, c: ReturnType<typeof paint>): string {
  const said = r.results.filter((x) => x.cpus != null && x.cpus.length > 0);
  const off = said.filter((x) => x.cpus!.some((n) => n !== cpu));
  const seen = said.map((x) => `${implLabel(x)} ${x.strategy} on ${x.cpus!.join(',')}`).join('; ');
  const line = `every read pinned to CPU ${cpu} (--cpu), each process from its start${seen ? `; where the reads ended: ${seen}` : ''}`;
  return off.length ? c.red.bold(`${line}: NOT ALL ON CPU ${cpu}`) : c.dim(line);
}

/** The third table: each audited read's time per entry, inside bpf(2) and outside, against C's outside; undefined when no row has a split. */
function auditTimeTable(r: PeersResultJson, label: (x: PeerCellJson) => string, c: ReturnType<typeof paint>): string | undefined {
  const split = r.results.filter((x) => x.auditTime);
  if (!split.length) return undefined;
  const cOf = (s: string) => r.results.find((x) => x.impl === 'c' && x.strategy === s)?.auditTime;
  const rows = split.map((x) => {
    const t = x.auditTime!;
    const base = cOf(x.strategy);
    return [
      implLabel(x),
      label(x),
      fmtNsPerEntry(t.bpfNsPerEntry + t.outsideNsPerEntry),
      fmtNsPerEntry(t.bpfNsPerEntry),
      fmtNsPerEntry(t.outsideNsPerEntry),
      `${((100 * t.outsideNs) / Math.max(1, t.wallNs)).toFixed(1)} %`,
      base && base.outsideNsPerEntry > 0 ? fmtRatio(t.outsideNsPerEntry / base.outsideNsPerEntry) : '—',
    ];
  });
  return compactTable(
    ['implementation', 'strategy', 'audit read\nns/entry', 'inside\nbpf(2)', 'outside', 'outside\nshare', 'outside\n× C'],
    ['left', 'left', 'right', 'right', 'right', 'right', 'right'],
    rows,
    c,
  );
}

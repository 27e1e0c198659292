// Comparing a result with a baseline, for CI: a pure function from two
// results to rows with a mark each, and the verdict. Gates, in order:
//   1. every read verified, and every row of the baseline present;
//   2. deterministic counts equal (bpf calls per command; batch calls exact
//      only when both maps had a fixed bucket layout, BPF_F_ZERO_SEED, else
//      within ±1 %);
//   3. ratios measured inside one run (each strategy's speedup over elem),
//      which survive a noisy machine;
//   4. ns/entry and allocated bytes/entry against the baseline: reported,
//      gating only with strictTime; a time is flagged only when the whole
//      confidence interval of the ratio lies beyond the threshold.
// Results from another kernel, CPU or configuration are not comparable
// unless lenient; so are results from another read loop (config.loop; a
// result without one, from before --loop, was made by the js loop).
import { MapFlag } from '../bpf/constants.js';
import { meanRatio } from '../harness/stats.js';
import { paint } from './color.js';
import { implLabel, type PeerCellJson, type PeersResultJson } from './peers.js';
import { loopOf, type RunResultJson, type StrategyResultJson } from './result.js';
import { compactTable } from './table.js';

/** `+` worse, `-` better, `~` within noise, `x` not comparable. */
export type Mark = '+' | '-' | '~' | 'x';

export interface CompareRow {
  gate: 0 | 1 | 2 | 3 | 4;
  figure: string;
  baseline: string;
  current: string;
  mark: Mark;
  /** A `+` here is a regression (fails the comparison). */
  gating: boolean;
}

export interface CompareOptions {
  /** Relative threshold, 0.15 = 15 %. */
  threshold: number;
  strictTime?: boolean;
  lenient?: boolean;
}

export interface Comparison {
  rows: CompareRow[];
  comparable: boolean;
  regression: boolean;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });

/** What must match for two results to be compared. */
function identity(r: RunResultJson): Record<string, string> {
  const c = r.config;
  return {
    kernel: r.context.kernel,
    'CPU model': r.context.cpuModel,
    map: `${c.mapType} ${c.keySize}/${c.valueSize} ${c.entries} of ${c.maxEntries} flags 0x${c.mapFlags.toString(16)}`,
    chunk: String(c.chunk),
    strategies: c.strategies.join(','),
    loop: loopOf(r),
  };
}

function callsEqual(a: Record<string, number>, b: Record<string, number>, tolerance: number): boolean {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const n of names) {
    const x = a[n] ?? 0;
    const y = b[n] ?? 0;
    if (tolerance === 0 ? x !== y : Math.abs(x - y) > tolerance * Math.max(x, y)) return false;
  }
  return true;
}

/** Gate 1 for a row of the baseline that the current result does not have. */
const missingRow = (name: string): CompareRow => ({ gate: 1, figure: `${name} missing`, baseline: 'in the baseline', current: 'not in the current result', mark: '+', gating: true });

const callsText = (c: Record<string, number>) => Object.entries(c).map(([k, n]) => `${k} ${fmt(n)}`).join(', ');

export function compareResults(base: RunResultJson, cur: RunResultJson, opts: CompareOptions): Comparison {
  const rows: CompareRow[] = [];
  const ib = identity(base);
  const ic = identity(cur);
  let comparable = true;
  for (const k of Object.keys(ib)) {
    if (ib[k] === ic[k]) continue;
    rows.push({ gate: 0, figure: k, baseline: ib[k]!, current: ic[k]!, mark: opts.lenient ? '~' : 'x', gating: !opts.lenient });
    if (!opts.lenient) comparable = false;
  }
  if (!comparable) return { rows, comparable, regression: false };

  // Gate 1: every read verified.
  for (const r of cur.results) {
    const ok = r.verified.ok || r.verified.expectedToFail;
    rows.push({ gate: 1, figure: `${r.label} verified`, baseline: 'ok', current: r.verified.ok ? 'ok' : `FAILED: ${r.verified.problems.join('; ')}`, mark: ok ? '~' : '+', gating: true });
  }
  // A baseline row the current result lacks was not read, so not verified.
  for (const b of base.results) if (!cur.results.some((c) => c.label === b.label)) rows.push(missingRow(b.label));

  const zeroSeed = (base.config.mapFlags & MapFlag.ZERO_SEED) !== 0 && (cur.config.mapFlags & MapFlag.ZERO_SEED) !== 0;
  const elemOf = (r: RunResultJson) => r.results.find((x) => x.strategy === 'elem');
  for (const c of cur.results) {
    const b = base.results.find((x) => x.label === c.label);
    if (!b) {
      rows.push({ gate: 2, figure: `${c.label}`, baseline: 'absent', current: 'present', mark: 'x', gating: false });
      continue;
    }
    // Gate 2: deterministic counts. Per-element walks are exact; batch walks
    // depend on the bucket layout, fixed only with a zero seed.
    const layoutDependent = c.chunk !== null;
    const tolerance = layoutDependent && !zeroSeed ? 0.01 : 0;
    const same = callsEqual(b.syscalls.bpf, c.syscalls.bpf, tolerance);
    rows.push({ gate: 2, figure: `${c.label} bpf calls${tolerance ? ' (±1 %)' : ''}`, baseline: callsText(b.syscalls.bpf), current: callsText(c.syscalls.bpf), mark: same ? '~' : '+', gating: true });

    // Gate 3: the speedup over elem, measured inside each run.
    const be = elemOf(base);
    const ce = elemOf(cur);
    if (c.strategy !== 'elem' && be && ce && c.verified.ok && b.verified.ok) {
      const sb = be.wallNs.median / b.wallNs.median;
      const sc = ce.wallNs.median / c.wallNs.median;
      const change = sc / sb - 1;
      const mark: Mark = change < -opts.threshold ? '+' : change > opts.threshold ? '-' : '~';
      rows.push({ gate: 3, figure: `${c.label} speedup vs elem`, baseline: `${fmt(sb)}×`, current: `${fmt(sc)}× (${change >= 0 ? '+' : ''}${pct(change)})`, mark, gating: true });
    }

    // Gate 4: against the baseline's absolute figures (machine noise included).
    const perEntry = (r: StrategyResultJson) => r.wallNs.mean / Math.max(1, r.verified.entries);
    // The ratio of per-entry means, with its interval (scaled from the wall times').
    const w = meanRatio(c.wallNs, c.runs, b.wallNs, b.runs);
    const scale = Math.max(1, b.verified.entries) / Math.max(1, c.verified.entries);
    const t = { r: w.x * scale, lo: w.lo * scale, hi: w.hi * scale };
    const tm: Mark = t.lo > 1 + opts.threshold ? '+' : t.hi < 1 - opts.threshold ? '-' : '~';
    rows.push({ gate: 4, figure: `${c.label} ns/entry`, baseline: fmt(perEntry(b)), current: `${fmt(perEntry(c))} (×${fmt(t.r)}, 95 % ${fmt(t.lo)}…${fmt(t.hi)})`, mark: tm, gating: opts.strictTime === true });
    const ab = b.memory.allocatedBytesPerEntry;
    const ac = c.memory.allocatedBytesPerEntry;
    // Near zero a ratio means nothing: a change matters past 1 B/entry and the threshold.
    const am: Mark = ac - ab > 1 && ac > ab * (1 + opts.threshold) ? '+' : ab - ac > 1 && ac < ab * (1 - opts.threshold) ? '-' : '~';
    rows.push({ gate: 4, figure: `${c.label} allocated B/entry`, baseline: fmt(ab), current: fmt(ac), mark: am, gating: opts.strictTime === true });
  }
  const regression = rows.some((r) => r.gating && r.mark === '+');
  return { rows, comparable, regression };
}

/** The comparison as a table (compact, one row per figure) and a verdict line. */
export function renderComparison(c: Comparison, opts: { color: boolean; threshold: number }): string {
  const ch = paint(opts.color);
  const markCell = (m: Mark) => (m === '+' ? ch.red.bold(m) : m === '-' ? ch.green(m) : m === 'x' ? ch.yellow(m) : ch.dim(m));
  const rows = c.rows.map((r) => [markCell(r.mark), String(r.gate), r.figure + (r.gating ? '' : ch.dim(' (reported)')), r.baseline, r.current]);
  const table = compactTable(['', 'gate', 'figure', 'baseline', 'current'], ['left', 'right', 'left', 'left', 'left'], rows, ch);
  const verdict = !c.comparable
    ? ch.yellow.bold('not comparable: another kernel, CPU, read loop or configuration (--lenient compares anyway)')
    : c.regression
      ? ch.red.bold(`REGRESSION: ${c.rows.filter((r) => r.gating && r.mark === '+').map((r) => r.figure).join('; ')}`)
      : ch.bold(`no regression (threshold ${(opts.threshold * 100).toFixed(0)} %)`);
  return `${table}\n${ch.dim('marks: + worse, - better, ~ within noise, x not comparable')}\n${verdict}`;
}

/**
 * Two `bpfbench peers` results, row by row (implementation, bpfbench's loop,
 * strategy): gate 1 every read verified (the published loop excepted) and
 * every row of the baseline present, gate 2 bpf calls per command as the
 * kernel counted them (exact per element, ±1 % in batches: peers maps have a
 * random seed), gate 3 each implementation's ratio to the C floor, measured
 * inside one run, not risen beyond the threshold (and present: no C result
 * to divide by fails); gate 4 ns/entry against the baseline, reported.
 * A row of bpfbench without a loop (a result from before --loop) was made by
 * the js loop.
 */
export function comparePeers(base: PeersResultJson, cur: PeersResultJson, opts: CompareOptions): Comparison {
  const rows: CompareRow[] = [];
  let comparable = true;
  const id = (r: PeersResultJson) => ({ kernel: r.context.kernel, 'CPU model': r.context.cpuModel, map: `${r.config.entries} chunk ${r.config.chunk}` });
  const ib = id(base);
  const ic = id(cur);
  for (const k of Object.keys(ib) as (keyof typeof ib)[]) {
    if (ib[k] === ic[k]) continue;
    rows.push({ gate: 0, figure: k, baseline: ib[k], current: ic[k], mark: opts.lenient ? '~' : 'x', gating: !opts.lenient });
    if (!opts.lenient) comparable = false;
  }
  if (!comparable) return { rows, comparable, regression: false };
  const rowName = (x: Pick<PeerCellJson, 'impl' | 'loop'>) => (x.impl === 'ts' ? implLabel(x) : x.impl);
  for (const c of cur.results) {
    const name = `${rowName(c)} ${c.strategy}`;
    const ok = c.verified.ok || c.verified.expectedToFail;
    rows.push({ gate: 1, figure: `${name} verified`, baseline: 'ok', current: c.verified.ok ? 'ok' : c.verified.expectedToFail ? 'FAILED (expected)' : `FAILED: ${c.verified.problems.join('; ')}`, mark: ok ? '~' : '+', gating: true });
    const b = base.results.find((x) => rowName(x) === rowName(c) && x.strategy === c.strategy);
    if (!b) continue;
    const counts = peerCounts(name, c.strategy, b.bpfCalls, c.bpfCalls);
    if (counts) rows.push(counts);
    if (c.impl !== 'c' && b.ratioToC !== null && c.ratioToC === null && c.verified.ok) {
      // No verified C read of this strategy to divide by: the gate cannot pass unseen.
      const cRow = cur.results.find((x) => x.impl === 'c' && x.strategy === c.strategy);
      rows.push({ gate: 3, figure: `${name} × C`, baseline: `${fmt(b.ratioToC)}×`, current: `none: ${cRow ? `C ${c.strategy} failed verification` : `no C ${c.strategy} result`}`, mark: '+', gating: true });
    } else if (c.impl !== 'c' && b.ratioToC !== null && c.ratioToC !== null && c.verified.ok) {
      const change = c.ratioToC / b.ratioToC - 1;
      const mark: Mark = change > opts.threshold ? '+' : change < -opts.threshold ? '-' : '~';
      rows.push({ gate: 3, figure: `${name} × C`, baseline: `${fmt(b.ratioToC)}×`, current: `${fmt(c.ratioToC)}× (${change >= 0 ? '+' : ''}${pct(change)})`, mark, gating: true });
    }
    // A failed row timed nothing: gate 1 has failed it.
    if (c.nsPerEntry === null || b.nsPerEntry === null) continue;
    const r = c.nsPerEntry / b.nsPerEntry;
    rows.push({ gate: 4, figure: `${name} ns/entry`, baseline: fmt(b.nsPerEntry), current: `${fmt(c.nsPerEntry)} (×${fmt(r)})`, mark: r > 1 + opts.threshold ? '+' : r < 1 - opts.threshold ? '-' : '~', gating: opts.strictTime === true });
  }
  // A baseline row the current result lacks (an implementation or a strategy that did not run) fails.
  for (const b of base.results) if (!cur.results.some((c) => rowName(c) === rowName(b) && c.strategy === b.strategy)) rows.push(missingRow(`${rowName(b)} ${b.strategy}`));
  return { rows, comparable, regression: rows.some((x) => x.gating && x.mark === '+') };
}

/**
 * Gate 2 of a peers row: the kernel's counts, command by command. A count
 * that is not the kernel's, or covers something else (a baseline from
 * before every peer was counted by the kernel), is not comparable: shown,
 * not gating.
 */
function peerCounts(name: string, strategy: string, b: PeerCellJson['bpfCalls'] | Record<string, number>, c: PeerCellJson['bpfCalls']): CompareRow | undefined {
  if (!b || !c) return undefined;
  const source = (n: { countedBy?: unknown; covers?: unknown }) => `${String(n.countedBy ?? 'unknown')}, ${String(n.covers ?? 'unknown')}`;
  const kernelRead = (n: object): n is NonNullable<PeerCellJson['bpfCalls']> => 'countedBy' in n && 'calls' in n;
  // Either side may be a result from before the kernel counted every peer (the counts alone).
  const text = (n: object) => (kernelRead(n) ? `${callsText(n.calls)} (${source(n)})` : `${callsText(n as Record<string, number>)} (source not recorded)`);
  if (!kernelRead(b) || !kernelRead(c) || b.countedBy !== c.countedBy || b.covers !== c.covers) {
    return { gate: 2, figure: `${name} bpf calls`, baseline: text(b), current: text(c), mark: 'x', gating: false };
  }
  const tolerance = strategy === 'elem' ? 0 : 0.01;
  return { gate: 2, figure: `${name} bpf calls${tolerance ? ' (±1 %)' : ''}`, baseline: callsText(b.calls), current: callsText(c.calls), mark: callsEqual(b.calls, c.calls, tolerance) ? '~' : '+', gating: true };
}

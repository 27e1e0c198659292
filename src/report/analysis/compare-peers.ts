// Comparing a peers result with a baseline (compare-baseline.ts's gates, row
// by row): each implementation × strategy's ratio to C from the rounds both
// read in alternation, and its bpf calls as the kernel counted them.
import { bootstrap, medianOf } from '../../harness/measuring/stats.js';
import { hasExactCalls } from '../../strategies/index.js';
import { implLabel } from '../rendering/peers-table.js';
import type { PeerCellJson, PeersResultJson } from '../result/peers-result.js';
import { type CompareRow, type CompareOptions, type Comparison, fmt, gateZero, changeOf, intervalText, callsEqual, missingRow, callsText, finish } from './compare-baseline.js';

/** A peers row's name: bpfbench's with its loop. */
const rowName = (x: Pick<PeerCellJson, 'impl' | 'loop'>) => (x.impl === 'ts' ? implLabel(x) : x.impl);

/**
 * Paired rounds of a row and the C row of its strategy: round i of each is
 * one column entry (the rows alternate, so round i of both read the map in
 * the same minute). null when either timed nothing.
 */
export function pairedRounds(row: PeerCellJson, c: PeerCellJson | undefined): [number[], number[]] | null {
  if (!c?.verified.ok || !row.wallNs || !c.wallNs) return null;
  const n = Math.min(row.wallNs.samples.length, c.wallNs.samples.length);
  if (n === 0) return null;
  return [row.wallNs.samples.slice(0, n), c.wallNs.samples.slice(0, n)];
}

/** The median of the rounds' own ratios (a row's read / C's read of the same round): the peers speed gates' statistic. */
export const ratioOfRounds = (b: readonly (readonly number[])[]) => medianOf(b[0]!.map((x, i) => x / b[1]![i]!));

/**
 * Two `bpfbench peers` results, row by row (implementation, bpfbench's loop,
 * strategy): gate 1 every read verified (the published loop excepted) and
 * every row of the baseline present, gate 2 bpf calls per command as the
 * kernel counted them (exact per element, ±1 % in batches: peers maps have a
 * random seed), gate 3 each implementation's ratio to the C floor, from the
 * per-round times of both results (never from a stored ratioToC: no C rows,
 * no gate 3 pass), its change with a paired bootstrap interval; gate 4
 * ns/entry against the baseline, reported unless strictTime.
 */
export function comparePeers(base: PeersResultJson, cur: PeersResultJson, opts: CompareOptions): Comparison {
  const rows: CompareRow[] = [];
  const config = (r: PeersResultJson) => ({ map: `${r.config.entries} chunk ${r.config.chunk}`, fill: String(r.config.fill ?? 'unknown') });
  const { comparable, speedGates } = gateZero(rows, [config(base), config(cur)], [base.context, cur.context], opts);
  if (!comparable) return finish(rows, comparable, speedGates);
  const speed = speedGates.applied;
  const cOf = (r: PeersResultJson, strategy: string) => r.results.find((x) => x.impl === 'c' && x.strategy === strategy);
  for (const c of cur.results) {
    const name = `${rowName(c)} ${c.strategy}`;
    const ok = c.verified.ok || c.verified.expectedToFail;
    rows.push({
      gate: 1,
      figure: `${name} verified`,
      baseline: 'ok',
      current: c.verified.ok ? 'ok' : c.verified.expectedToFail ? 'FAILED (expected)' : `FAILED: ${c.verified.problems.join('; ')}`,
      mark: ok ? '~' : '+',
      gating: true,
    });
    const b = base.results.find((x) => rowName(x) === rowName(c) && x.strategy === c.strategy);
    if (!b) continue;
    const counts = peerCounts(name, c.strategy, b.bpfCalls, c.bpfCalls);
    if (counts) rows.push(counts);
    if (c.impl !== 'c' && c.verified.ok && b.verified.ok) {
      // Gate 3 from the rounds themselves: both results' C rows must be there.
      const pc = pairedRounds(c, cOf(cur, c.strategy));
      const pb = pairedRounds(b, cOf(base, c.strategy));
      if (!pc || !pb) {
        const cRow = (pc ? base : cur).results.find((x) => x.impl === 'c' && x.strategy === c.strategy);
        const where = pc ? 'the baseline has' : 'this result has';
        const why = cRow ? `C ${c.strategy} failed verification or timed nothing` : `no C ${c.strategy} row`;
        rows.push({ gate: 3, figure: `${name} × C`, baseline: pb ? `${fmt(ratioOfRounds(pb))}×` : 'none', current: `none: ${where} ${why}`, mark: '+', gating: true });
      } else {
        const iv = bootstrap([pb, pc], ([xb, xc]) => ratioOfRounds(xc!) / ratioOfRounds(xb!) - 1);
        const { mark, ...change } = changeOf(iv, opts.threshold);
        rows.push({ gate: 3, figure: `${name} × C`, baseline: `${fmt(ratioOfRounds(pb))}×`, current: `${fmt(ratioOfRounds(pc))}×, ${intervalText(change)}`, mark, gating: speed, change });
      }
    }
    // A failed row timed nothing: gate 1 has failed it.
    if (!c.wallNs || !b.wallNs || c.nsPerEntry === null || b.nsPerEntry === null) continue;
    const scale = Math.max(1, b.verified.entries) / Math.max(1, c.verified.entries);
    const iv = bootstrap([[b.wallNs.samples], [c.wallNs.samples]], ([xb, xc]) => (medianOf(xc![0]!) / medianOf(xb![0]!)) * scale - 1);
    const { mark, ...change } = changeOf(iv, opts.threshold);
    rows.push({ gate: 4, figure: `${name} ns/entry`, baseline: fmt(b.nsPerEntry), current: `${fmt(c.nsPerEntry)}, ${intervalText(change)}`, mark, gating: speed && opts.strictTime === true, change });
  }
  // A baseline row the current result lacks (an implementation or a strategy that did not run) fails.
  for (const b of base.results) if (!cur.results.some((c) => rowName(c) === rowName(b) && c.strategy === b.strategy)) rows.push(missingRow(`${rowName(b)} ${b.strategy}`));
  return finish(rows, comparable, speedGates);
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
  const tolerance = hasExactCalls(strategy) ? 0 : 0.01;
  return {
    gate: 2,
    figure: `${name} bpf calls${tolerance ? ' (±1 %)' : ''}`,
    baseline: callsText(b.calls),
    current: callsText(c.calls),
    mark: callsEqual(b.calls, c.calls, tolerance) ? '~' : '+',
    gating: true,
  };
}

// The peers speed gate: bpfbench's time over C's, both read in alternation in
// the same run (round i of each read the same map in the same minute), held
// against a reference ratio (the CI job: 1.0, so "≤ 1.10× C" at a 10 %
// threshold; the calibration: an unslowed run's ratio). The change is
// ratio / reference − 1 with a paired bootstrap interval over the rounds, and
// the rule's verdict on a ceiling (decideCeiling): regressed, held, or
// undecided while the interval straddles reference × (1 + threshold); a read
// faster than C by more than the threshold is under the ceiling, not a reason
// to read on. runPeers reads more rounds until every row is decided or the
// cap; the result records each row's decision (report/peers.ts).
import { bootstrap, decideCeiling, medianOf, moreReads, type CeilingVerdict, type Interval } from '../measuring/stats.js';

export interface RatioGateSpec {
  /** The ratio each row is held to: one for every strategy, or by strategy. */
  reference: number | Record<string, number>;
  /** Relative: 0.10 = the ratio may be up to 10 % above the reference. */
  threshold: number;
  /** Read rounds beyond --rounds until decided, up to this many in all. */
  maxRounds: number;
}

export interface RatioDecision {
  /** The median of the rounds' ratios (this row's read / C's read of the same round), with its 95 % interval. */
  ratio: Interval;
  reference: number;
  /** ratio / reference − 1, positive = slower than the reference allows. */
  change: Interval;
  verdict: CeilingVerdict;
  /** Undecided: roughly how many more rounds would decide it. */
  moreRounds: number | null;
}

export function referenceOf(spec: Pick<RatioGateSpec, 'reference'>, strategy: string): number | undefined {
  return typeof spec.reference === 'number' ? spec.reference : spec.reference[strategy];
}

/** A row's rounds against C's (paired by round, the shorter decides) → the decision. */
export function judgeRatio(row: readonly number[], c: readonly number[], reference: number, threshold: number): RatioDecision {
  const n = Math.min(row.length, c.length);
  // The median of the rounds' own ratios: a round's two reads share the
  // machine's load of that minute, so a disturbed minute moves one ratio, not
  // the whole median (the ratio of the two medians would take it in twice).
  const ratios = Array.from({ length: n }, (_, i) => row[i]! / c[i]!);
  const ratio = bootstrap([[ratios]], ([p]) => medianOf(p![0]!));
  const change = { x: ratio.x / reference - 1, lo: ratio.lo / reference - 1, hi: ratio.hi / reference - 1, n: ratio.n };
  const verdict = decideCeiling(change.lo, change.hi, threshold);
  return { ratio, reference, change, verdict, moreRounds: verdict === 'undecided' ? moreReads(change, [threshold]) : null };
}

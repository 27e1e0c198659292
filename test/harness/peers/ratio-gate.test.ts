// The decision rule (src/harness/measuring/stats.ts) and the peers speed gate
// (src/harness/peers/ratio-gate.ts): a seeded bootstrap, the four verdicts and a ceiling's three, how many
// more reads, and the median of the rounds' own ratios.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeRatio } from '../../../src/harness/peers/ratio-gate.js';
import { bootstrap, decideCeiling, decideChange, medianOf, moreReads } from '../../../src/harness/measuring/stats.js';

test('the four verdicts: beyond +T regressed, beyond −T improved, within ±T unchanged, else undecided', () => {
  assert.equal(decideChange(0.06, 0.2, 0.05), 'regressed');
  assert.equal(decideChange(-0.2, -0.06, 0.05), 'improved');
  assert.equal(decideChange(-0.04, 0.05, 0.05), 'unchanged');
  assert.equal(decideChange(-0.01, 0.07, 0.05), 'undecided');
  assert.equal(decideChange(-0.2, 0.2, 0.05), 'undecided');
});

test('a ceiling has one boundary: regressed beyond +T, held at or under it, undecided only while the interval straddles +T', () => {
  assert.equal(decideCeiling(0.06, 0.2, 0.05), 'regressed');
  assert.equal(decideCeiling(-0.04, 0.05, 0.05), 'held');
  // The CI run of 2026-12-06 that failed: batch +0.7 % (−11.4 %…+3.1 %) at 10 % is under the ceiling, whatever its lower end.
  assert.equal(decideCeiling(-0.114, 0.031, 0.1), 'held');
  assert.equal(decideChange(-0.114, 0.031, 0.1), 'undecided');
  assert.equal(decideCeiling(-0.2, -0.06, 0.05), 'held');
  assert.equal(decideCeiling(-0.01, 0.07, 0.05), 'undecided');
  assert.equal(decideCeiling(0.05, 0.07, 0.05), 'undecided');
});

test('the bootstrap is seeded (the same reads, the same interval), holds the statistic, and pairs the columns of a block', () => {
  const xs = [10, 11, 9, 10.5, 12, 9.5, 10.2];
  const a = bootstrap([[xs]], ([b]) => medianOf(b![0]!));
  assert.deepEqual(
    bootstrap([[xs]], ([b]) => medianOf(b![0]!)),
    a,
  );
  assert.equal(a.x, medianOf(xs));
  assert.ok(a.lo <= a.x && a.x <= a.hi && a.lo >= 9 && a.hi <= 12);
  assert.equal(a.n, xs.length);
  // Paired: the ratio of a column to itself resampled together is exactly 1.
  const p = bootstrap([[xs, xs]], ([b]) => medianOf(b![0]!.map((x, i) => x / b![1]![i]!)));
  assert.deepEqual([p.lo, p.x, p.hi], [1, 1, 1]);
  assert.throws(() => bootstrap([[[1, 2], [1]]], () => 0), /unequal length/);
});

test('more reads: the interval must shrink to the distance from the estimate to the nearest boundary; none on the boundary', () => {
  const n = moreReads({ x: 0.02, lo: -0.04, hi: 0.08, n: 10 }, [0.05, -0.05]);
  // half-width 0.06, margin 0.03: (0.06/0.03)² × 10 − 10 = 30.
  assert.equal(n, 30);
  assert.equal(moreReads({ x: 0.05, lo: 0, hi: 0.1, n: 10 }, [0.05, -0.05]), null);
  // The side that crosses the boundary counts, not the half-width: x 0.03, hi 0.115, 20 rounds → (0.085/0.07)² × 20 − 20 ≈ 10.
  assert.equal(moreReads({ x: 0.03, lo: 0.004, hi: 0.115, n: 20 }, [0.1, -0.1]), 10);
});

test("the peers gate: the median of the rounds' own ratios, against a reference: a slow minute moves one round, not the verdict", () => {
  const c = [100, 100, 100, 300, 100, 100, 100, 100];
  const ts = [101, 102, 100, 150, 101, 99, 102, 100];
  const d = judgeRatio(ts, c, 1.0, 0.1);
  assert.equal(d.verdict, 'held', JSON.stringify(d));
  assert.ok(d.ratio.x > 1 && d.ratio.x < 1.02);
  const slow = judgeRatio(
    ts.map((x) => x * 1.3),
    c,
    1.0,
    0.1,
  );
  assert.equal(slow.verdict, 'regressed');
  const few = judgeRatio([100, 130], [100, 100], 1.0, 0.1);
  assert.equal(few.verdict, 'undecided');
  assert.ok(few.moreRounds === null || few.moreRounds > 0);
  // Much faster than C is under the ceiling, decided: no more rounds asked for.
  const fast = judgeRatio([70, 90, 60, 80, 75, 85], [100, 100, 100, 100, 100, 100], 1.0, 0.1);
  assert.equal(fast.verdict, 'held');
  assert.equal(fast.moreRounds, null);
  // Against a reference of 1.3 the same slow reads are held.
  assert.equal(
    judgeRatio(
      ts.map((x) => x * 1.3),
      c,
      1.3,
      0.1,
    ).verdict,
    'held',
  );
});

// The statistics of repeated reads are tinybench's: fed known durations, they
// must be the figures computed by hand (the ones bpfbench computed itself
// before), in nanoseconds, with the samples kept in the order they came.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meanRatio, summarize } from '../../../src/harness/measuring/stats.js';

/** Equal to 1e-12 relative (a duration goes to tinybench in ms and comes back in ns). */
function near(actual: number, expected: number, what: string, rel = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: ${actual} vs ${expected}`);
}

// Two-sided 95 % Student's t quantiles, to 16 digits.
const T_3 = 3.182446305284263;
const T_4 = 2.776445105197799;

test('summary of a fixed sample list: the hand-computed mean, sample sd, median, extremes, margin of error', () => {
  const xs = [4_210_000_123, 4_390_000_457, 4_050_000_001, 4_600_000_999, 4_330_000_000];
  const s = summarize(xs);
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  near(s.mean, mean, 'mean');
  near(s.sd, sd, 'sd', 1e-9);
  near(s.median, 4_330_000_000, 'median');
  near(s.min, 4_050_000_001, 'min');
  near(s.max, 4_600_000_999, 'max');
  near(s.rme!, ((T_4 * sd) / Math.sqrt(n) / mean) * 100, 'rme', 1e-9);
  // The old table's t (2.776 for 4 degrees of freedom) gave the same margin to 0.02 %.
  near(s.rme!, ((2.776 * sd) / Math.sqrt(n) / mean) * 100, 'rme against the t table', 2e-4);
  assert.deepEqual(s.samples, xs, 'samples in the order they were taken');
});

test('an even count: the median is the mean of the middle two', () => {
  const s = summarize([16, 10, 14, 12]);
  near(s.mean, 13, 'mean');
  near(s.median, 13, 'median');
  near(s.min, 10, 'min');
  near(s.max, 16, 'max');
  near(s.sd, Math.sqrt(20 / 3), 'sd', 1e-9);
  near(s.rme!, ((T_3 * Math.sqrt(20 / 3)) / 2 / 13) * 100, 'rme', 1e-9);
  assert.deepEqual(s.samples, [16, 10, 14, 12]);
});

test('one sample: no spread, no margin of error; none is refused', () => {
  const one = summarize([5_000_000]);
  near(one.mean, 5_000_000, 'mean');
  near(one.median, 5_000_000, 'median');
  assert.equal(one.sd, 0);
  assert.equal(one.rme, null);
  assert.throws(() => summarize([]), RangeError);
});

test('the ratio of two means: σ propagated from both, and its 95 % interval', () => {
  const a = { mean: 4.2e9, sd: 0.2e9 };
  const b = { mean: 5.5e8, sd: Math.sqrt(2 * 0.5e8 ** 2) };
  const r = meanRatio(a, 3, b, 2);
  const x = 4.2e9 / 5.5e8;
  near(r.x, x, 'x');
  near(r.sd!, x * Math.sqrt((0.2e9 / 4.2e9) ** 2 + (b.sd / 5.5e8) ** 2), 'sd');
  // Standard errors propagated, t of the smaller sample (1 degree of freedom: 12.706).
  const half = 12.706 * x * Math.sqrt((0.2e9 / Math.sqrt(3) / 4.2e9) ** 2 + (b.sd / Math.sqrt(2) / 5.5e8) ** 2);
  near(r.lo, x - half, 'lo');
  near(r.hi, x + half, 'hi');
  const single = meanRatio(a, 1, b, 2);
  assert.equal(single.sd, null);
  assert.equal(single.lo, single.x);
  assert.equal(single.hi, single.x);
});

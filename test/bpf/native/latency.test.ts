// The call-latency histogram: its buckets (the C loop's and TypeScript's are
// the same), its percentile math against known distributions, the native
// state's histogram read out exactly (counts above 2^32 ns included), the
// merge, and the JS call timer's sampling.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketHigh, bucketLow, bucketOf, CallTimer, clockNs, LAT_BUCKETS, LatencyHistogram, mergeLatency, SAMPLE_ALL_FROM, SAMPLE_EVERY, samplingFor } from '../../../src/bpf/native/latency.js';
import { NativeRead } from '../../../src/bpf/native/native-loop.js';
import { nativeLatencyBucket } from '../../../src/bpf/native/native-library.js';
import { InvariantError } from '../../../src/errors.js';
import { filledHashMap } from '../../helpers.js';

/** Durations across the whole range: every small value, bucket edges, and a spread up to past the top. */
function probeValues(): number[] {
  const vs: number[] = [];
  for (let i = 0; i < 600; i++) vs.push(i);
  for (let b = 8; b <= 40; b++) for (const d of [-2, -1, 0, 1, 2]) vs.push(2 ** b + d);
  let x = 257;
  while (x < 2 ** 40) {
    vs.push(Math.floor(x));
    x *= 1.0137;
  }
  vs.push(60e9, 2 ** 36 - 1, 2 ** 36, 2 ** 50);
  return vs.filter((v) => v >= 0);
}

test('buckets: exact below 256 ns, < 1/128 wide above, contiguous, monotone, the last one catching everything from 2^36 ns', () => {
  assert.equal(LAT_BUCKETS, 3840);
  for (let i = 0; i < 256; i++) {
    assert.equal(bucketOf(i), i);
    assert.equal(bucketLow(i), i);
    assert.equal(bucketHigh(i), i);
  }
  for (let i = 1; i < LAT_BUCKETS; i++) assert.equal(bucketLow(i), bucketHigh(i - 1) + 1, `bucket ${i} follows ${i - 1}`);
  for (let i = 256; i < LAT_BUCKETS; i++) {
    const lo = bucketLow(i);
    const hi = bucketHigh(i);
    assert.ok((hi + 1 - lo) / lo <= 1 / 128, `bucket ${i} [${lo}, ${hi}] is < 0.8 % wide`);
    assert.equal(bucketOf(lo), i);
    assert.equal(bucketOf(hi), i);
  }
  assert.equal(bucketHigh(LAT_BUCKETS - 1), 2 ** 36 - 1);
  assert.equal(bucketOf(2 ** 36), LAT_BUCKETS - 1);
  assert.equal(bucketOf(1e15), LAT_BUCKETS - 1);
  let prev = -1;
  for (const v of probeValues().sort((a, b) => a - b)) {
    const b = bucketOf(v);
    assert.ok(b >= prev, `monotone at ${v}`);
    prev = b;
    if (v < 2 ** 36) assert.ok(bucketLow(b) <= v && v <= bucketHigh(b), `${v} inside its bucket ${b}`);
  }
  assert.equal(bucketOf(12.9), 12, 'fractions round down');
  assert.equal(bucketOf(-5), 0);
});

test('the C loop files every duration in the bucket TypeScript computes', () => {
  for (const v of probeValues()) assert.equal(nativeLatencyBucket(v), bucketOf(v), `${v} ns`);
});

test('percentiles of a uniform 1..100,000 ns distribution within a bucket (< 0.8 %), the max exact, sum and mean exact', () => {
  const h = new LatencyHistogram();
  for (let v = 1; v <= 100_000; v++) h.record(v);
  const s = h.summary();
  assert.equal(s.count, 100_000);
  assert.equal(s.max, 100_000);
  assert.equal(s.sampledEvery, 1);
  for (const [q, got] of [
    [0.5, s.p50],
    [0.9, s.p90],
    [0.99, s.p99],
    [0.999, s.p999],
  ] as const) {
    const want = q * 100_000;
    assert.ok(got >= want && got <= want * (1 + 1 / 128), `p${q * 100}: ${got} for ${want}`);
  }
  assert.ok(s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.p999 && s.p999 <= s.max);
  assert.equal(h.sum, (100_000 * 100_001) / 2);
  assert.equal(h.mean(), 50_000.5);
});

test('percentiles of small exact values: the nearest rank; a heavy tail; an empty histogram', () => {
  const h = new LatencyHistogram();
  for (let v = 1; v <= 200; v++) h.record(v);
  assert.equal(h.percentile(0.5), 100);
  assert.equal(h.percentile(0.9), 180);
  assert.equal(h.percentile(0.99), 198);
  assert.equal(h.percentile(0.999), 200);
  assert.equal(h.percentile(0), 1);
  assert.equal(h.percentile(1), 200);
  // 990 calls of 1 µs and 10 of 5 ms: p99 is still 1 µs, p99.9 and max are the tail.
  const t = new LatencyHistogram(7);
  for (let i = 0; i < 990; i++) t.record(1000);
  for (let i = 0; i < 10; i++) t.record(5e6);
  const s = t.summary();
  assert.ok(s.p50 >= 1000 && s.p50 < 1008);
  assert.ok(s.p99 >= 1000 && s.p99 < 1008);
  assert.equal(s.p999, 5e6, 'the upper end of its bucket, capped at the max');
  assert.equal(s.max, 5e6);
  assert.equal(s.sampledEvery, 7);
  // A value past the top bucket: its percentile is the exact max.
  const big = new LatencyHistogram();
  big.record(100e9);
  assert.equal(big.percentile(0.5), 100e9);
  assert.deepEqual(new LatencyHistogram().summary(), { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0, sampledEvery: 1 });
});

test('merging: counts add, the max is the larger; sources sampled differently are refused', () => {
  const a = new LatencyHistogram(7);
  const b = new LatencyHistogram(7);
  for (let v = 1; v <= 50; v++) a.record(v);
  for (let v = 51; v <= 100; v++) b.record(v);
  const m = mergeLatency([a, undefined, b])!;
  assert.equal(m.count, 100);
  assert.equal(m.max, 100);
  assert.equal(m.percentile(0.5), 50);
  assert.equal(m.sampledEvery, 7);
  assert.equal(mergeLatency([undefined]), undefined);
  const c = new LatencyHistogram(1);
  c.record(5);
  assert.throws(() => m.add(c), InvariantError);
  // An empty one takes the other's sampling.
  const e = new LatencyHistogram(1);
  e.add(a);
  assert.equal(e.sampledEvery, 7);
});

test("the native state's histogram is read out exactly, durations past 2^32 ns and past the top bucket included; reset empties it", () => {
  const map = filledHashMap(16);
  const walk = NativeRead.elem(map, { latencyEvery: 0 });
  try {
    const values = [0, 1, 255, 256, 1000, 123_456, 2 ** 32 + 7, 60e9, 2 ** 36 + 1, 1000];
    const want = new LatencyHistogram(0);
    for (const v of values) {
      walk.recordLatency(v);
      want.record(v);
    }
    const got = LatencyHistogram.of(walk);
    assert.deepEqual([...got.counts], [...want.counts]);
    assert.equal(got.count, values.length);
    assert.equal(got.sum, want.sum);
    assert.equal(got.max, 2 ** 36 + 1);
    assert.deepEqual(got.summary(), want.summary());
    walk.reset();
    const after = LatencyHistogram.of(walk);
    assert.equal(after.count, 0);
    assert.equal(
      after.counts.reduce((x, y) => x + y, 0),
      0,
    );
  } finally {
    walk.free();
    map.close();
  }
});

test('native reads time one call in sampledEvery, the first of each read included; 0 times none', () => {
  const n = 1000;
  const map = filledHashMap(n);
  try {
    for (const every of [1, 3, SAMPLE_EVERY, 0]) {
      const walk = NativeRead.elem(map, { latencyEvery: every });
      try {
        assert.equal(walk.sampledEvery, every);
        for (let read = 0; read < 2; read++) {
          walk.reset();
          let h: ReturnType<typeof walk.next>;
          do h = walk.next();
          while (h.status === 1);
          const calls = walk.counts.reduce((a, b) => a + b, 0);
          assert.equal(calls, 2 * n + 1);
          const lat = LatencyHistogram.of(walk);
          assert.equal(lat.count, every === 0 ? 0 : Math.ceil(calls / every), `1 in ${every}, read ${read + 1}`);
          if (every) assert.ok(lat.max > 0 && lat.percentile(0.5) > 0, 'a bpf call takes time');
        }
      } finally {
        walk.free();
      }
    }
    // The default: per-element calls sampled, batches of ≥ 64 entries all timed.
    const e = NativeRead.elem(map);
    const b = NativeRead.batch(map, SAMPLE_ALL_FROM);
    const small = NativeRead.batch(map, SAMPLE_ALL_FROM - 1);
    assert.deepEqual([e.sampledEvery, b.sampledEvery, small.sampledEvery], [SAMPLE_EVERY, 1, SAMPLE_EVERY]);
    for (const w of [e, b, small]) w.free();
    assert.throws(() => NativeRead.elem(map, { latencyEvery: -1 }), RangeError);
  } finally {
    map.close();
  }
});

test('the JS call timer: every k-th begin() is timed, calls of a step share its time, 0 times none; the clock is monotonic ns', () => {
  assert.equal(samplingFor(1), SAMPLE_EVERY);
  assert.equal(samplingFor(SAMPLE_ALL_FROM), 1);
  assert.equal(SAMPLE_EVERY % 2, 1, 'odd: alternating commands are each sampled');
  const t = new CallTimer(3);
  for (let read = 0; read < 2; read++) {
    t.reset();
    for (let i = 0; i < 10; i++) {
      t.begin();
      t.end();
    }
    assert.equal(t.histogram.count, 4, 'calls 1, 4, 7, 10');
  }
  t.reset();
  t.begin();
  t.end(3);
  t.begin();
  t.end(5); // not timed
  assert.equal(t.histogram.count, 3, 'a timed step of three calls is three calls');
  t.reset();
  t.begin();
  t.end(0);
  assert.equal(t.histogram.count, 0, 'a step that made no call files nothing');
  const none = new CallTimer(0);
  for (let i = 0; i < 5; i++) {
    none.begin();
    none.end();
  }
  assert.equal(none.histogram.count, 0);
  const a = clockNs();
  const b = clockNs();
  assert.ok(Number.isInteger(a) && b >= a, `${a} ≤ ${b}`);
  const t0 = clockNs();
  const until = Date.now() + 20;
  while (Date.now() < until);
  const dt = clockNs() - t0;
  assert.ok(dt >= 15e6 && dt < 5e9, `20 ms of busy wait measured as ${dt} ns`);
});

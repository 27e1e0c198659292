// The one format module: each duration style as the renderer that uses it
// wrote it before they were one function, and the one escaper.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { entriesLabel, esc, fmtDuration, fmtRate, tickLabel } from '../../../src/report/formats/format.js';

const NS = [880, 1_700, 12_345, 980_000, 1_390_000, 2.5e9];

test('durations: text for tables and lines, compact for tight columns, tick for axes', () => {
  assert.deepEqual(
    NS.map((ns) => fmtDuration(ns)),
    ['880 ns', '1.70 µs', '12.35 µs', '980.00 µs', '1.39 ms', '2.50 s'],
  );
  assert.equal(fmtDuration(700e9), '11.7 min');
  assert.deepEqual(
    NS.map((ns) => fmtDuration(ns, 'compact')),
    ['880ns', '1.70µs', '12.3µs', '980µs', '1.39ms', '2.50s'],
  );
  assert.deepEqual(
    NS.map((ns) => fmtDuration(ns, 'tick')),
    ['880 ns', '1.7 µs', '12.3 µs', '980 µs', '1.39 ms', '2.5 s'],
  );
  for (const style of ['text', 'compact', 'tick'] as const) assert.equal(fmtDuration(Number.NaN, style), '—');
});

test('rates, sizes and ticks', () => {
  assert.deepEqual(
    [1.52e6, 4560, 12].map((r) => fmtRate(r)),
    ['1.52 M/s', '4.6 k/s', '12 /s'],
  );
  assert.deepEqual(
    [1.52e6, 4560, 12].map((r) => fmtRate(r, 'short')),
    ['1.52M', '4.6k', '12'],
  );
  assert.deepEqual([1 << 20, 100 << 20, 4096, 1000].map(entriesLabel), ['1Mi', '100Mi', '4Ki', '1000']);
  assert.deepEqual([5000, 20, 0.5].map(tickLabel), ['5,000', '20', '0.5']);
});

test('one escaper: quotes too for HTML attributes, or text content only for the SVG file', () => {
  assert.equal(esc(`a<b>&"c"'d'`), 'a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;');
  assert.equal(esc(`a<b>&"c"'d'`, false), `a&lt;b&gt;&amp;"c"'d'`);
  assert.equal(esc(42), '42');
});

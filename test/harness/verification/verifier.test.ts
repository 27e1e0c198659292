// The verifier on its own: what it accepts and every way it catches a wrong read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectedSums } from '../../../src/harness/filling/expectation.js';
import { pairTerm } from '../../../src/harness/verification/verdict.js';
import { Verifier } from '../../../src/harness/verification/verifier.js';

const V = 0xdeadbeef | 0;

function feed(v: Verifier, keys: number[], value = V): void {
  v.reset();
  for (const k of keys) v.add(k, value);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('a complete read in any order verifies', () => {
  const v = new Verifier({ entries: 1000, value: 0xdeadbeef });
  feed(v, range(1000).reverse());
  const r = v.verdict();
  assert.equal(r.ok, true, r.problems.join('; '));
  assert.equal(r.entries, 1000);
  assert.equal(r.distinct, 1000);
  assert.equal(r.keySumOk, true);
  assert.equal(r.checksumOk, true);
});

test('a missing key fails', () => {
  const v = new Verifier({ entries: 1000, value: 0xdeadbeef });
  feed(v, range(999));
  const r = v.verdict();
  assert.equal(r.ok, false);
  assert.match(r.problems.join(';'), /read 999 entries, expected 1,000/);
});

test('a repeated key in place of another fails even when the count is right', () => {
  const v = new Verifier({ entries: 1000, value: 0xdeadbeef });
  const keys = range(1000);
  keys[10] = 11;
  feed(v, keys);
  const r = v.verdict();
  assert.equal(r.ok, false);
  assert.equal(r.entries, 1000);
  assert.equal(r.distinct, 999);
  assert.deepEqual(r.problems, ['999 distinct keys of 1,000', '1 repeated key', 'key sum differs', 'key/value checksum differs']);
});

test('re-reading the same first entries (a cursor that never advances) fails', () => {
  const v = new Verifier({ entries: 4096 * 8, value: 0xdeadbeef });
  v.reset();
  for (let call = 0; call < 8; call++) for (let k = 0; k < 4096; k++) v.add(k, V);
  const r = v.verdict();
  assert.equal(r.ok, false);
  assert.equal(r.entries, 4096 * 8);
  assert.equal(r.distinct, 4096);
});

test('a wrong value fails', () => {
  const v = new Verifier({ entries: 100, value: 0xdeadbeef });
  v.reset();
  for (let k = 0; k < 100; k++) v.add(k, k === 42 ? 0 : V);
  const r = v.verdict();
  assert.equal(r.ok, false);
  assert.equal(r.badValues, 1);
  assert.equal(r.checksumOk, false);
});

test('a key outside 0..N-1 fails', () => {
  const v = new Verifier({ entries: 100, value: 0xdeadbeef });
  v.reset();
  for (let k = 0; k < 99; k++) v.add(k, V);
  v.add(100, V);
  const r = v.verdict();
  assert.equal(r.ok, false);
  assert.equal(r.badKeys, 1);
});

test('reset() forgets the previous read', () => {
  const v = new Verifier({ entries: 10, value: 0xdeadbeef });
  feed(v, range(10));
  feed(v, range(10));
  assert.equal(v.verdict().ok, true);
});

test('progress is reported while reading', () => {
  const v = new Verifier({ entries: 200_000, value: 0xdeadbeef });
  const seen: number[] = [];
  v.reset((n) => seen.push(n));
  for (let k = 0; k < 200_000; k++) v.add(k, V);
  assert.deepEqual(seen, [65536, 131072, 196608]);
});

test('expected sums are the sums of what a correct read yields, mod 2^32', () => {
  const e = { entries: 70_000, value: 0xdeadbeef };
  let ks = 0;
  let cs = 0;
  for (let k = 0; k < e.entries; k++) {
    ks = (ks + k) | 0;
    cs = (cs + pairTerm(k, V)) | 0;
  }
  assert.deepEqual(expectedSums(e), { keySum: ks, checksum: cs });
});

import { Census, crossCheck, disagreementText } from '../../../src/harness/verification/census.js';

test('census: counts, distinct keys by sorting, and sums of a map of unknown content', () => {
  const c = new Census(100);
  c.reset();
  for (const k of [5, 9, 1, 7]) c.add(k, k * 3);
  const v = c.verdict();
  assert.equal(v.ok, true);
  assert.equal(v.entries, 4);
  assert.equal(v.distinct, 4);
  assert.equal(v.keySum, 22);
  c.reset();
  for (const k of [5, 9, 5]) c.add(k, 0);
  const r = c.verdict();
  assert.equal(r.ok, false);
  assert.equal(r.distinct, 2);
  assert.deepEqual(r.problems, ['1 repeated key']);
});

test('cross-strategy check: reads that disagree are grouped by what they saw, none blamed; a read wrong on its own is left out', () => {
  const c = new Census(10);
  const read = (pairs: [number, number][]) => {
    c.reset();
    for (const [k, v] of pairs) c.add(k, v);
    return c.verdict();
  };
  const a = read([
    [1, 10],
    [2, 20],
    [3, 30],
  ]);
  const b = read([
    [3, 30],
    [1, 10],
    [2, 20],
  ]);
  const agreeing = crossCheck([
    { label: 'elem', verdict: a },
    { label: 'batch', verdict: b },
  ]);
  assert.equal(agreeing.agree, true, 'same content in another order');
  assert.deepEqual(
    agreeing.groups.map((g) => g.labels),
    [['elem', 'batch']],
  );
  const missing = read([
    [1, 10],
    [2, 20],
  ]);
  const wrongValue = read([
    [1, 10],
    [2, 21],
    [3, 30],
  ]);
  const repeated = read([
    [1, 10],
    [1, 10],
  ]);
  const check = crossCheck([
    { label: 'elem', verdict: missing },
    { label: 'batch', verdict: a },
    { label: 'iter', verdict: wrongValue },
    { label: 'x', verdict: repeated },
  ]);
  assert.equal(check.agree, false);
  assert.deepEqual(
    check.groups.map((g) => g.labels),
    [['elem'], ['batch'], ['iter']],
    'the first read is not taken as the truth',
  );
  assert.deepEqual(check.excluded, ['x']);
  assert.equal(check.groups[0]!.entries, 2);
  const text = disagreementText(check);
  assert.match(text, /elem saw 2 entries .*; batch saw 3 entries/);
  assert.match(text, /no independent census/);
  assert.doesNotMatch(text, /FAILED|wrong/);
});

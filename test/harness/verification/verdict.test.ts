// The words of a verdict, exactly: one noun per count, singular for one,
// thousands separated; the same for a read held against the loader, against
// another read, and for a census of a map bpfbench did not fill.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Census } from '../../../src/harness/verification/census.js';
import { fmtCountOf, readProblems, repeatedKeys, type Counted } from '../../../src/harness/verification/verdict.js';

const right: Counted = { entries: 0, distinct: 0, badKeys: 0, badValues: 0, keySumOk: true, checksumOk: true };

test('a count and its noun: singular for one, separators from a thousand', () => {
  assert.equal(fmtCountOf(0, 'entry', 'entries'), '0 entries');
  assert.equal(fmtCountOf(1, 'entry', 'entries'), '1 entry');
  assert.equal(fmtCountOf(2, 'entry', 'entries'), '2 entries');
  assert.equal(fmtCountOf(1, 'repeated key'), '1 repeated key');
  assert.equal(fmtCountOf(1_048_576, 'repeated key'), '1,048,576 repeated keys');
  assert.equal(repeatedKeys(1), '1 repeated key');
  assert.equal(repeatedKeys(4_093), '4,093 repeated keys');
});

test('one of each problem, against what the loader wrote: singular throughout', () => {
  const c: Counted = { entries: 1, distinct: 1, badKeys: 1, badValues: 1, keySumOk: false, checksumOk: false };
  assert.deepEqual(readProblems({ ...c, entries: 3 }, { entries: 2, distinct: 2 }, { repeats: true }), [
    'read 3 entries, expected 2',
    '1 distinct key of 2',
    '1 repeated key',
    '1 key not written by the loader',
    '1 wrong value',
    'key sum differs',
    'key/value checksum differs',
  ]);
  assert.deepEqual(readProblems({ ...right, entries: 1, distinct: 1 }, { entries: 1_000, distinct: 1_000 }), ['read 1 entry, expected 1,000', '1 distinct key of 1,000']);
});

test('many of each, against another read: plurals and thousands separators', () => {
  const c: Counted = { entries: 1_048_576, distinct: 4_096, badKeys: 2_000, badValues: 12_345, keySumOk: false, checksumOk: false };
  assert.deepEqual(readProblems(c, { entries: 1_047_808, distinct: 1_047_808 }, { against: 'elem', badKeys: 'outside 0..1,047,807', repeats: true }), [
    'read 1,048,576 entries, elem read 1,047,808',
    '4,096 distinct keys, elem saw 1,047,808',
    '1,042,480 repeated keys',
    '2,000 keys outside 0..1,047,807',
    '12,345 wrong values',
    "key sum differs from elem's",
    "key/value checksum differs from elem's",
  ]);
  assert.deepEqual(readProblems({ ...right, entries: 1, distinct: 1 }, { entries: 2, distinct: 2 }, { against: 'batch(4096)' }), [
    'read 1 entry, batch(4096) read 2',
    '1 distinct key, batch(4096) saw 2',
  ]);
});

test("a census's own problems: one repeated key; more entries than max_entries", () => {
  const c = new Census(1);
  c.reset();
  c.add(0, 0);
  c.add(0, 0);
  assert.deepEqual(c.verdict().problems, ['read 2 entries from a map of max_entries 1']);
  const big = new Census(2_000);
  big.reset();
  for (const k of [5, 9, 5]) big.add(k, 0);
  assert.deepEqual(big.verdict().problems, ['1 repeated key']);
  big.reset();
  for (let k = 0; k < 2_001; k++) big.add(k, 0);
  assert.deepEqual(big.verdict().problems, ['read 2,001 entries from a map of max_entries 2,000']);
});

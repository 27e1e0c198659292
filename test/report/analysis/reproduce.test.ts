// The reproduction's sentences say what the flawed loop counted: equal to
// max_entries only when it was (the published run), and what it was when not
// (1,047,808 of 1,048,576 at 1Mi here: a call returns whole buckets only).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PUBLISHED_FILE } from '../../../src/paths.js';
import type { RunResultJson } from '../../../src/report/result/run-json.js';
import { checkPublished, explainReproduction, flawedCount, type Reproduction } from '../../../src/report/analysis/reproduction.js';

const pub = checkPublished(JSON.parse(readFileSync(PUBLISHED_FILE, 'utf8')));
const published = { calls: 25_600, counted: 104_857_600, maxEntries: 104_857_600 };

/** The fields of a run result the explanation reads: the flawed loop's count and calls. */
function run(maxEntries: number, counted: number, calls: number): RunResultJson {
  return {
    config: { chunk: 4096, entries: maxEntries, maxEntries },
    results: [{ strategy: 'batch-fixed-cursor', counted, syscalls: { bpf: { LOOKUP_BATCH: calls } } }],
  } as unknown as RunResultJson;
}

const rep = (counted: number): Reproduction => ({
  rows: [{ published: 'batch', strategy: 'batch-fixed-cursor', counted, distinct: 4093 } as Reproduction['rows'][number]],
  speedup: { published: 12.75, flawedLoop: 20, correct: 8 },
  flawReproduced: true,
  ok: true,
});

test('the published count is said to equal max_entries, as it did: its figures come from the published file', () => {
  const text = explainReproduction(run(1_048_576, 1_048_576, 256), rep(1_048_576), pub);
  assert.ok(
    text.includes(
      "The loop's count is the sum of what its max_entries / chunk calls returned: here 256 calls × 4,096 = 1,048,576, equal to max_entries; published, 25,600 calls × 4,096 = 104,857,600, equal to max_entries.",
    ),
    text,
  );
  assert.doesNotMatch(text, /whole hash buckets/);
  // A published file whose count fell short would be said as it was: the sentence reads the file, not a constant.
  const short = structuredClone(pub);
  short.results.batch.count = 104_857_000;
  const shortText = explainReproduction(run(1_048_576, 1_048_576, 256), rep(1_048_576), short);
  assert.ok(shortText.includes('published, 25,600 calls, 104,857,000, not max_entries (104,857,600). A call returns whole hash buckets only'), shortText);
});

test('a count short of max_entries is said as it was, never "equals max_entries"', () => {
  const text = explainReproduction(run(1_048_576, 1_047_808, 256), rep(1_047_808), pub);
  assert.doesNotMatch(text, /by construction/);
  assert.ok(
    text.includes(
      "The loop's count is the sum of what its max_entries / chunk calls returned: here 256 calls × 4,093 = 1,047,808, not max_entries (1,048,576); published, 25,600 calls × 4,096 = 104,857,600, equal to max_entries. " +
        'A call returns whole hash buckets only, so the count reaches max_entries only when every call returns a full chunk.',
    ),
    text,
  );
  assert.match(text, /The published 12\.75× therefore compares a full per-element walk/);
  assert.ok(text.includes('every call reads again from bucket 0: the same first ~4,096 entries.'), text);
});

test('a count that does reach max_entries here is said to, without the whole-bucket caveat', () => {
  const text = explainReproduction(run(262_144, 262_144, 64), rep(262_144), pub);
  assert.ok(text.includes('here 64 calls × 4,096 = 262,144, equal to max_entries; published, 25,600 calls × 4,096 = 104,857,600, equal to max_entries.'), text);
  assert.doesNotMatch(text, /whole hash buckets/);
});

test('calls that returned different counts are not shown as a product', () => {
  assert.match(flawedCount({ calls: 3, counted: 10, maxEntries: 12 }, published), /here 3 calls, 10, not max_entries \(12\)/);
});

test('one call, one entry, one distinct key: singular nouns', () => {
  assert.match(flawedCount({ calls: 1, counted: 100, maxEntries: 100 }, published), /here 1 call × 100 = 100, equal to max_entries/);
  const text = explainReproduction(run(1, 1, 1), { ...rep(1), rows: [{ ...rep(1).rows[0]!, distinct: 1 }] }, pub);
  assert.ok(text.includes('Reproduced here: 1 entry counted, 1 distinct key of 1 (verification FAILED, as expected).'), text);
});

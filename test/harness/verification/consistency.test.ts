// What a reader saw under writers (src/harness/verification/consistency.ts), on synthetic
// reads with known answers; and a walk that gives up (the max_entries bound)
// reported with what it read, the strategies after it still measured and
// the JSON still built.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MapElemAttr } from '../../../src/bpf/syscall/attr.js';
import { Cmd } from '../../../src/bpf/syscall/constants.js';
import { NativeBlock } from '../../../src/bpf/syscall/native-block.js';
import { bpf } from '../../../src/bpf/syscall/syscall.js';
import { ConsistencySink, freshKeys, RESTART_JUMP, stableCount, volatileInside, writersCapacity, type KeySpace } from '../../../src/harness/verification/consistency.js';
import { measureStrategy } from '../../../src/harness/measuring/measure-strategy.js';
import { silentProgress } from '../../../src/harness/measuring/progress.js';
import { Verifier } from '../../../src/harness/verification/verifier.js';
import { strategyResult } from '../../../src/report/result/strategy-result.js';
import { batch } from '../../../src/strategies/batch.js';
import { elem } from '../../../src/strategies/elem.js';
import { filledHashMap, VALUE } from '../../helpers.js';

const SPACE: KeySpace = { entries: 1000, volatileEvery: 8, fresh: freshKeys(1000, 8), value: VALUE };
const V = VALUE | 0;

test('the key space: every 8th key volatile, as many fresh keys beyond, the map sized for both', () => {
  assert.equal(volatileInside(SPACE), 125);
  assert.equal(SPACE.fresh, 125);
  assert.equal(stableCount(SPACE), 875);
  assert.equal(writersCapacity(1000, 8), 1125);
});

test('a read of exactly what the loader wrote, in any order, is exact and ok; so is one without some volatile keys under writers', () => {
  const s = new ConsistencySink(SPACE);
  s.expectExact(true);
  s.reset();
  for (let k = 999; k >= 0; k--) s.add(k, V);
  assert.deepEqual(s.consistency(), { stableOnce: 875, stableDuplicates: 0, stableMissed: 0, volatileSeen: 125, stray: 0, wrongValues: 0, restarts: 0 });
  assert.equal(s.verdict().ok, true, s.verdict().problems.join('; '));
  // The sums, held against keys 0..999 each with VALUE (the sums computed here, by hand).
  assert.equal(s.verdict().keySumOk, true);
  assert.equal(s.verdict().checksumOk, true);

  // Without writers, a missing volatile key is a failure; under writers it is what the writers did.
  s.reset();
  for (let k = 1; k < 1000; k++) s.add(k, V);
  assert.equal(s.verdict().ok, false);
  assert.match(s.verdict().problems.join('; '), /124 volatile entries/);
  s.expectExact(false);
  assert.equal(s.verdict().ok, true);
});

test('the key sum and checksum are computed without writers, and null under writers (no fixed contents to hold them against)', () => {
  const s = new ConsistencySink(SPACE);
  s.expectExact(true);
  s.reset();
  // Key 10 read as 11 (sum +1): a wrong key sum; the values all right, but the pair (11, V) is not (10, V): a wrong checksum.
  for (let k = 0; k < 1000; k++) s.add(k === 10 ? 11 : k, V);
  let v = s.verdict();
  assert.equal(v.keySumOk, false);
  assert.equal(v.checksumOk, false);
  assert.ok(v.problems.includes('key sum differs from what the loader wrote'), v.problems.join('; '));
  // Every key once, one value off: the key sum holds, the checksum does not.
  s.reset();
  for (let k = 0; k < 1000; k++) s.add(k, k === 3 ? V + 1 : V);
  v = s.verdict();
  assert.equal(v.keySumOk, true);
  assert.equal(v.checksumOk, false);
  // Under writers: neither is a check this read can make.
  s.expectExact(false);
  s.reset();
  for (let k = 0; k < 1000; k++) s.add(k, V);
  v = s.verdict();
  assert.equal(v.keySumOk, null);
  assert.equal(v.checksumOk, null);
  assert.equal(v.ok, true);
});

test('a restart: the walk jumps back to its beginning and re-reads; counted once, its re-read stable keys as duplicates', () => {
  const s = new ConsistencySink(SPACE);
  s.expectExact(false);
  s.reset();
  // 0..499, then from 0 again to the end: one restart, keys 1..499 (stable ones) twice.
  for (let k = 0; k < 500; k++) s.add(k, V);
  for (let k = 0; k < 1000; k++) s.add(k, V);
  const c = s.consistency();
  assert.equal(c.restarts, 1);
  const stableBelow500 = 500 - Math.ceil(500 / 8);
  assert.equal(c.stableDuplicates, stableBelow500);
  assert.equal(c.stableOnce, 875 - stableBelow500);
  assert.equal(c.stableMissed, 0);
  assert.equal(s.verdict().ok, true, 'duplicates under writers are behaviour, not failure');
});

test('a restart while the walk re-reads what it read before its last restart is a restart too: each return to the beginning counts', () => {
  const s = new ConsistencySink(SPACE);
  s.expectExact(false);
  s.reset();
  // 0..499, from 0 again to 199 (inside the re-reading of 0..499), from 0 again to the end: two restarts. The second
  // jumps back from inside a re-reading, where no key is new (a jump-back rule that waits for a new key misses it).
  for (let k = 0; k < 500; k++) s.add(k, V);
  for (let k = 0; k < 200; k++) s.add(k, V);
  for (let k = 0; k < 1000; k++) s.add(k, V);
  const c = s.consistency();
  assert.equal(c.restarts, 2);
  assert.equal(c.stableDuplicates, 500 - Math.ceil(500 / 8));
  // The beginning read again within RESTART_JUMP entries of its last reading: a bucket's revisit, not told apart from one.
  s.reset();
  for (let k = 0; k < 10; k++) s.add(k, V);
  for (let k = 0; k < 1000; k++) s.add(k, V);
  assert.equal(s.consistency().restarts, 0);
});

test('a short revisit (a key moved to the head of its bucket) is a duplicate, not a restart', () => {
  const s = new ConsistencySink(SPACE);
  s.reset();
  for (let k = 0; k < 300; k++) s.add(k, V);
  // Keys 290..299 again: a jump back of 10 entries, within RESTART_JUMP.
  for (let k = 290; k < 300; k++) s.add(k, V);
  assert.ok(10 < RESTART_JUMP);
  const c = s.consistency();
  assert.equal(c.restarts, 0);
  assert.equal(c.stableDuplicates, 9, 'keys 290..299 but 296 (volatile)');
  assert.equal(c.stableMissed, 875 - (300 - 38));
});

test('stray keys and wrong values fail the read, with or without writers', () => {
  const s = new ConsistencySink(SPACE);
  s.expectExact(false);
  s.reset();
  for (let k = 0; k < 1000; k++) s.add(k, V);
  s.add(1000 + SPACE.fresh, V); // beyond the fresh keys: never written
  s.add(3, 7); // a stable key with another value
  const v = s.verdict();
  assert.equal(v.ok, false);
  assert.equal(s.consistency().stray, 1);
  assert.equal(s.consistency().wrongValues, 1);
  assert.match(v.problems.join('; '), /1 stray key .*; 1 wrong value/);
  // Fresh keys are the writers': seen, not stray.
  s.reset();
  s.add(1000, V);
  s.add(1000 + SPACE.fresh - 1, V);
  assert.equal(s.consistency().stray, 0);
  assert.equal(s.consistency().volatileSeen, 2);
});

test('a per-element walk that gives up is reported with what it read, and the next strategy is still measured and the result built', () => {
  const n = 2000;
  const map = filledHashMap(n);
  const mem = new NativeBlock(64);
  let next = n;
  // After each entry the sink is given, the entry's key is deleted and a new
  // one inserted: GET_NEXT_KEY then restarts from the first bucket, forever
  // (the JS loop, entry by entry; the bound is max_entries).
  class Mutating extends Verifier {
    override add(key: number, value: number): void {
      super.add(key, value);
      if (!mutating) return;
      mem.u32[8] = key;
      mem.setU32(MapElemAttr.map_fd, map.fd);
      mem.setU64(MapElemAttr.key, mem.addr + 32);
      mem.setU64(MapElemAttr.value, 0);
      assert.equal(bpf(Cmd.MAP_DELETE_ELEM, mem.addr, MapElemAttr.SIZE), 0);
      mem.u32[9] = next++;
      mem.u32[10] = VALUE;
      mem.setU64(MapElemAttr.key, mem.addr + 36);
      mem.setU64(MapElemAttr.value, mem.addr + 40);
      assert.equal(bpf(Cmd.MAP_UPDATE_ELEM, mem.addr, MapElemAttr.SIZE), 0);
    }
  }
  let mutating = true;
  try {
    const v = new Mutating({ entries: n, value: VALUE });
    const policy = { minRuns: 2, maxRuns: 2, budgetMs: 0, warmup: 0 };
    const m = measureStrategy({ map, strategy: elem, chunk: 0, sink: v, policy, progress: silentProgress, loop: 'js' });
    assert.deepEqual(m.aborted, { steps: n + 1, phase: 'run 1' });
    assert.equal(m.failed, true);
    assert.equal(m.runs, 1, 'a read that gave up is not timed again');
    assert.ok(m.verdict.entries > 0, 'what it read until then is kept');
    const json = strategyResult(m);
    assert.deepEqual(json.aborted, { read: 'run 1', steps: n + 1 });
    assert.equal(json.verified.ok, false);
    assert.match(json.verified.problems[0]!, /^walk aborted after 2,001 GET_NEXT_KEY steps .*entries read until then$/);
    assert.equal(json.counted, n + 1);

    // The map is whatever the mutation left: the next strategy reads it whole.
    mutating = false;
    const census = new ConsistencySink({ entries: 0, volatileEvery: 1, fresh: next, value: VALUE });
    const b = measureStrategy({ map, strategy: batch, chunk: 256, sink: census, policy: { minRuns: 1, maxRuns: 1, budgetMs: 0, warmup: 0 }, progress: silentProgress });
    assert.equal(b.aborted, undefined);
    assert.equal(b.failed, false, b.verdict.problems.join('; '));
    assert.equal(strategyResult(b).aborted, null);
  } finally {
    mem.free();
    map.close();
  }
});

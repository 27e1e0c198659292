// The native check (native/check.c via src/bpf/native/native-check.ts) against the
// reference, src/harness/verification/verifier.ts: the same reads, good and deliberately
// wrong, must get the same verdict and the same problems. The good reads
// are real native reads of real maps of every type and shape; the wrong
// ones are real maps changed after the fill (a wrong value, a stray key, a
// key with a wrong tail, a missing key) and crafted hand-overs (a repeated
// key, a key out of range, a key an LRU map does not hold).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MapElemAttr } from '../../../src/bpf/syscall/attr.js';
import { Cmd, type MapTypeName } from '../../../src/bpf/syscall/constants.js';
import { bpf } from '../../../src/bpf/syscall/syscall.js';
import { NativeCheck, NativeCheckPart } from '../../../src/bpf/native/native-check.js';
import { NativeBlock } from '../../../src/bpf/syscall/native-block.js';
import { openBenchMap } from '../../../src/harness/filling/bench-map.js';
import type { Expectation } from '../../../src/harness/filling/expectation.js';
import { Pattern } from '../../../src/harness/filling/pattern.js';
import { silentProgress } from '../../../src/harness/measuring/progress.js';
import type { RunConfig } from '../../../src/harness/measuring/run-benchmark.js';
import { Verifier } from '../../../src/harness/verification/verifier.js';
import type { Verdict } from '../../../src/harness/verification/verdict.js';
import { batch } from '../../../src/strategies/batch.js';
import { elem } from '../../../src/strategies/elem.js';
import { iter } from '../../../src/strategies/iter.js';
import { atThreads, batchSharded } from '../../../src/strategies/sharded.js';
import type { PreparedRead, Strategy } from '../../../src/strategies/types.js';
import { allowedStrategies, ITER } from '../../helpers.js';

function config(mapType: MapTypeName, entries: number, extra: Partial<RunConfig> = {}): RunConfig {
  return {
    source: { kind: 'create' },
    mapType,
    keySize: 4,
    valueSize: 4,
    entries,
    maxEntries: entries,
    chunk: 256,
    strategies: [elem, batch],
    fill: 'batch',
    mapFlags: 0,
    repeat: { minRuns: 1, maxRuns: 1, budgetMs: 0, warmup: 0 },
    runsSetting: 1,
    kernelCount: false,
    iterProgram: ITER,
    ...extra,
  } as RunConfig;
}

/** The same prepared read judged by the TypeScript verifier alone, then by the native check. */
function bothVerdicts(read: PreparedRead, expect: Expectation): { js: Verdict; native: Verdict } {
  const js = new Verifier(expect, { native: false });
  const c = new Verifier(expect, { native: true });
  try {
    js.reset();
    read.read(js);
    c.reset();
    read.read(c);
    return { js: js.verdict(), native: c.verdict() };
  } finally {
    c.free();
  }
}

function assertSame(js: Verdict, native: Verdict, what: string): void {
  assert.equal(js.checkedBy, 'js', what);
  assert.equal(native.checkedBy, 'native', `${what}: the native loop's read was checked in C`);
  assert.deepEqual({ ...native, checkedBy: 'js' }, js, what);
}

const cases: [MapTypeName, Partial<RunConfig>][] = [
  ['hash', {}],
  ['hash', { keySize: 8, valueSize: 16 }],
  ['hash', { keySize: 2 }],
  ['percpu_hash', { valueSize: 12 }],
  ['lru_hash', {}],
  ['lru_percpu_hash', { valueSize: 8 }],
  ['array', { valueSize: 24 }],
  ['array', { maxEntries: 8000 }],
  ['percpu_array', { valueSize: 12 }],
];
// The sharded read on 2 and 3 threads: its native check is made on the shards' threads, the bitmap shared.
const sharded = [atThreads(batchSharded, 2), atThreads(batchSharded, 3)];
const strategies = allowedStrategies<Strategy>([elem, batch, iter, ...sharded]);

for (const [type, extra] of cases) {
  const c = config(type, 3000, extra);
  test(`${type} key ${c.keySize} B value ${c.valueSize} B, max ${c.maxEntries}: the native check and the TypeScript verifier agree on ${strategies.map((s) => s.name).join(', ')} (native loop)`, () => {
    const bench = openBenchMap(c, silentProgress);
    try {
      for (const s of strategies) {
        const read = s.prepare(bench.map, { chunk: 256, loop: 'native', iterProgFd: bench.iterProgFd });
        try {
          const { js, native } = bothVerdicts(read, bench.expect!);
          assert.ok(js.ok, `${s.name}: ${js.problems.join('; ')}`);
          assertSame(js, native, s.name);
        } finally {
          read.free();
        }
      }
    } finally {
      bench.close();
    }
  });
}

test('a real map changed after the fill: a wrong value, a stray key, a wrong key tail and a missing key fail both the same way', () => {
  for (const extra of [{}, { keySize: 8, valueSize: 16 }, { mapType: 'percpu_hash' as MapTypeName, valueSize: 12 }]) {
    const n = 2000;
    const c = config(extra.mapType ?? 'hash', n, { ...extra, maxEntries: n + 64 });
    const bench = openBenchMap(c, silentProgress);
    const map = bench.map;
    const key = new NativeBlock(map.keySize);
    const value = new NativeBlock(map.valueStride);
    const p = new Pattern({ keySize: map.keySize, valueSize: map.valueSize, valueSlot: map.valueSlot, slots: map.valueStride / map.valueSlot, constant: bench.expect!.pattern?.shape.constant });
    try {
      // Index 5's value changed (every byte flipped).
      p.writeKey(5, key.bytes, 0);
      p.writeValue(5, value.bytes, 0);
      for (let i = 0; i < value.bytes.length; i++) value.bytes[i] = value.bytes[i]! ^ 0xff;
      map.updateElem(key.addr, value.addr);
      // A key past the end, with a proper value.
      p.writeKey(n + 10, key.bytes, 0);
      p.writeValue(n + 10, value.bytes, 0);
      map.updateElem(key.addr, value.addr);
      // Index 7's key again, its tail changed (8-byte keys): a different key carrying index 7.
      if (map.keySize > 4) {
        p.writeKey(7, key.bytes, 0);
        key.bytes[map.keySize - 1] = key.bytes[map.keySize - 1]! ^ 0x55;
        p.writeValue(7, value.bytes, 0);
        map.updateElem(key.addr, value.addr);
      }
      // Index 9 deleted: missing.
      p.writeKey(9, key.bytes, 0);
      const attr = new NativeBlock(MapElemAttr.SIZE);
      attr.setU32(MapElemAttr.map_fd, map.fd);
      attr.setU64(MapElemAttr.key, key.addr);
      const r = bpf(Cmd.MAP_DELETE_ELEM, attr.addr, MapElemAttr.SIZE);
      attr.free();
      assert.equal(r, 0);
      for (const s of [elem, batch, ...sharded]) {
        const read = s.prepare(map, { chunk: 256, loop: 'native' });
        try {
          const { js, native } = bothVerdicts(read, bench.expect!);
          assert.equal(js.ok, false);
          // Index 5's value; and the stray key's, where values are the pattern's: an index past what was written should read as zero.
          assert.equal(js.badValues, bench.expect!.value === undefined ? 2 : 1, `${s.name}: ${js.problems.join('; ')}`);
          assert.equal(js.badKeys, map.keySize > 4 ? 2 : 1);
          assert.equal(js.distinct, n - 1);
          assertSame(js, native, `${s.name} of a changed ${map.keySize}/${map.valueSize} ${extra.mapType ?? 'hash'} map`);
        } finally {
          read.free();
        }
      }
    } finally {
      key.free();
      value.free();
      bench.close();
    }
  }
});

/** Hand-overs built in memory: keys (u32 index + pattern tail) and values, folded by C and added to the reference. */
function crafted(
  expect: Expectation,
  indices: number[],
  corrupt?: (i: number, key: Uint8Array, value: Uint8Array) => void,
): { js: Verdict; native: Verdict; firstBad: { index: number; why: string }[] } {
  const p = expect.pattern!;
  const { keySize, valueSlot, slots } = p.shape;
  const stride = valueSlot * slots;
  const keys = new NativeBlock(keySize * indices.length);
  const values = new NativeBlock(stride * indices.length);
  indices.forEach((idx, i) => {
    p.writeKey(idx, keys.bytes, i * keySize);
    p.writeValue(idx, values.bytes, i * stride);
    corrupt?.(i, keys.bytes.subarray(i * keySize, (i + 1) * keySize), values.bytes.subarray(i * stride, (i + 1) * stride));
  });
  const js = new Verifier(expect, { native: false });
  js.reset();
  // As the loops hand entries to a sink (strategies/loop.ts entriesPut): u32 → u32 entries as words.
  if (keySize === 4 && stride === 4) js.addMany(keys.u32, values.i32, indices.length);
  else js.addManyRaw(keys.bytes, values.bytes, indices.length, keySize, stride);
  const v = new Verifier(expect);
  v.reset();
  const check = v.nativeCheck(keySize, stride)!;
  assert.ok(check instanceof NativeCheck);
  check.foldEntries(keys, values, indices.length);
  const firstBad = check.totals().firstBad;
  const out = { js: js.verdict(), native: v.verdict(), firstBad };
  v.free();
  keys.free();
  values.free();
  return out;
}

test('crafted hand-overs: a repeated key, a key out of range, a missing key, a wrong value and a key an LRU map does not hold get the same verdict, and C names the first wrong entries', () => {
  const n = 1000;
  const all = Array.from({ length: n }, (_, i) => i);
  for (const shape of [
    { keySize: 4, valueSize: 4, valueSlot: 4, slots: 1 },
    { keySize: 4, valueSize: 4, valueSlot: 4, slots: 1, constant: 0xdeadbeef },
    { keySize: 8, valueSize: 12, valueSlot: 16, slots: 3 },
    { keySize: 2, valueSize: 4, valueSlot: 4, slots: 1 },
  ]) {
    const pattern = new Pattern(shape);
    const expect: Expectation = { entries: n, pattern, value: shape.constant };
    const good = crafted(expect, all);
    assert.ok(good.js.ok, good.js.problems.join('; '));
    assertSame(good.js, good.native, 'a whole read');
    assert.deepEqual(good.firstBad, []);

    const repeated = crafted(expect, [...all, 17]);
    assertSame(repeated.js, repeated.native, 'a repeated key');
    assert.match(repeated.js.problems.join('; '), /repeated/);
    assert.deepEqual(repeated.firstBad, [{ index: 17, why: 'repeat' }]);

    const missing = crafted(
      expect,
      all.filter((i) => i !== 400),
    );
    assertSame(missing.js, missing.native, 'a missing key');
    assert.equal(missing.js.ok, false);

    if (shape.keySize >= 4) {
      const stray = crafted(expect, [...all.slice(1), n + 3]);
      assertSame(stray.js, stray.native, 'a key out of range');
      assert.equal(stray.js.badKeys, 1);
      assert.deepEqual(stray.firstBad[0], { index: n + 3, why: 'key' });
    }

    const wrongValue = crafted(expect, all, (i, _k, v) => {
      if (i === 250) v[0] = v[0]! ^ 1;
    });
    assertSame(wrongValue.js, wrongValue.native, 'a wrong value');
    assert.equal(wrongValue.js.badValues, 1);
    assert.deepEqual(wrongValue.firstBad, [{ index: 250, why: 'value' }]);

    if (shape.slots > 1) {
      // Only the last CPU's slot wrong: every slot is checked.
      const lastSlot = crafted(expect, all, (i, _k, v) => {
        if (i === 3) v[(shape.slots - 1) * shape.valueSlot + shape.valueSize - 1] ^= 0x80;
      });
      assertSame(lastSlot.js, lastSlot.native, "a wrong byte in the last CPU's slot");
      assert.equal(lastSlot.js.badValues, 1);
    }
    if (shape.keySize > 4) {
      const tail = crafted(expect, all, (i, k) => {
        if (i === 9) k[shape.keySize - 1] ^= 1;
      });
      assertSame(tail.js, tail.native, 'a wrong key tail');
      assert.equal(tail.js.badKeys, 1);
    }
  }
  // An LRU map that kept only the even indices: an odd key read is not one it holds.
  const pattern = new Pattern({ keySize: 4, valueSize: 8, valueSlot: 8, slots: 1 });
  const present = new Uint32Array(Math.ceil(n / 32));
  for (let i = 0; i < n; i += 2) present[i >>> 5]! |= 1 << (i & 31);
  const lru: Expectation = { entries: n, pattern, present };
  const evens = all.filter((i) => i % 2 === 0);
  const kept = crafted(lru, evens);
  assert.ok(kept.js.ok, kept.js.problems.join('; '));
  assertSame(kept.js, kept.native, 'an LRU map read whole');
  const odd = crafted(lru, [...evens, 31]);
  assertSame(odd.js, odd.native, 'an LRU map and a key it does not hold');
  assert.equal(odd.js.badKeys, 1);
  // An array larger than what was written: the rest reads as zero values.
  const array: Expectation = { entries: n, written: 600, pattern: new Pattern({ keySize: 4, valueSize: 8, valueSlot: 8, slots: 1 }) };
  const zeros = crafted(array, all, (i, _k, v) => {
    if (i >= 600) v.fill(0);
  });
  assert.ok(zeros.js.ok, zeros.js.problems.join('; '));
  assertSame(zeros.js, zeros.native, 'an array with unwritten elements');
});

test('one read checked partly in TypeScript and partly in C is counted exactly: the bitmap is shared', () => {
  const n = 512;
  const pattern = new Pattern({ keySize: 4, valueSize: 4, valueSlot: 4, slots: 1 });
  const expect: Expectation = { entries: n, pattern };
  const keys = new NativeBlock(4 * n);
  const values = new NativeBlock(4 * n);
  for (let i = 0; i < n; i++) {
    pattern.writeKey(i, keys.bytes, 4 * i);
    pattern.writeValue(i, values.bytes, 4 * i);
  }
  const v = new Verifier(expect);
  v.reset();
  v.addManyRaw(keys.bytes, values.bytes, 300, 4, 4);
  // C takes 200..511: 200..299 again (repeats) and the rest.
  const check = v.nativeCheck(4, 4)!;
  const k2 = new NativeBlock(4 * (n - 200));
  const v2 = new NativeBlock(4 * (n - 200));
  k2.bytes.set(keys.bytes.subarray(800));
  v2.bytes.set(values.bytes.subarray(800));
  check.foldEntries(k2, v2, n - 200);
  const verdict = v.verdict();
  assert.equal(verdict.checkedBy, 'native+js');
  assert.equal(verdict.entries, n + 100);
  assert.equal(verdict.distinct, n);
  assert.equal(verdict.ok, false);
  assert.match(verdict.problems.join('; '), /100 repeated keys/);
  // The next read starts afresh, in C alone.
  v.reset();
  check.foldEntries(keys, values, n);
  assert.deepEqual({ ok: v.verdict().ok, distinct: v.verdict().distinct, checkedBy: v.verdict().checkedBy }, { ok: true, distinct: n, checkedBy: 'native' });
  v.free();
  for (const b of [keys, values, k2, v2]) b.free();
});

test("a check split into parts (a sharded read's threads) and merged gives one check's verdict: repeats across parts, totals, the first wrong entries in part order", () => {
  const n = 1000;
  const pattern = new Pattern({ keySize: 4, valueSize: 4, valueSlot: 4, slots: 1 });
  const expect: Expectation = { entries: n, pattern };
  // Part A holds 0..599 (index 3's value wrong), part B 500..999 (100 repeats across the parts) and a key out of range (its value wrong too: nothing was written there).
  const a = Array.from({ length: 600 }, (_, i) => i);
  const b = [...Array.from({ length: 500 }, (_, i) => 500 + i), n + 7];
  const all = [...a, ...b];
  const keys = new NativeBlock(4 * all.length);
  const values = new NativeBlock(4 * all.length);
  all.forEach((idx, i) => {
    pattern.writeKey(idx, keys.bytes, 4 * i);
    pattern.writeValue(idx, values.bytes, 4 * i);
  });
  values.bytes[4 * 3]! ^= 1;
  const whole = new Verifier(expect);
  whole.reset();
  const one = whole.nativeCheck(4, 4)!;
  one.foldEntries(keys, values, all.length);
  const parted = new Verifier(expect);
  parted.reset();
  const check = parted.nativeCheck(4, 4)!;
  const parts = [new NativeCheckPart(), new NativeCheckPart()];
  try {
    for (const p of parts) p.begin(check);
    parts[1]!.foldFrom(keys, values, a.length, b.length);
    parts[0]!.foldFrom(keys, values, 0, a.length);
    assert.deepEqual([parts[0]!.entries, parts[1]!.entries], [a.length, b.length]);
    for (const p of parts) p.mergeInto(check);
    const [w, v] = [whole.verdict(), parted.verdict()];
    assert.equal(w.ok, false);
    assert.deepEqual({ entries: w.entries, distinct: w.distinct, badKeys: w.badKeys, badValues: w.badValues }, { entries: 1101, distinct: 1000, badKeys: 1, badValues: 2 });
    // Which of a repeated key's two reads counts as the repeat depends on which part folded first; the totals do not.
    assert.deepEqual({ ...v, problems: [] }, { ...w, problems: [] });
    assert.deepEqual(
      check.totals().firstBad.map((x) => x.why),
      ['value', ...Array<string>(7).fill('repeat')],
    );
    assert.equal(check.totals().bad, 103);
  } finally {
    for (const p of parts) p.free();
    whole.free();
    parted.free();
    keys.free();
    values.free();
  }
});

test("a native check is only offered for entries of the expectation's shape, and never with native: false", () => {
  const expect: Expectation = { entries: 10, pattern: new Pattern({ keySize: 8, valueSize: 8, valueSlot: 8, slots: 1 }) };
  const v = new Verifier(expect);
  assert.equal(v.nativeCheck(4, 4), undefined);
  assert.ok(v.nativeCheck(8, 8));
  v.free();
  assert.equal(new Verifier(expect, { native: false }).nativeCheck(8, 8), undefined);
});

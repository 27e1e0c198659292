// What a read of an LRU map must return is taken independently of the code
// under test: every key the loader wrote, looked up one at a time, compared
// here with a GET_NEXT_KEY walk of the test's own, on maps that evicted
// during the fill; and a batch cursor that loses entries is caught, not
// copied into the expectation.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MapElemAttr } from '../../../src/bpf/syscall/attr.js';
import { BatchCursor } from '../../../src/bpf/maps/batch-cursor.js';
import { Cmd, MapType, type MapTypeName } from '../../../src/bpf/syscall/constants.js';
import { possibleCpus } from '../../../src/bpf/maps/cpus.js';
import { ElemReader } from '../../../src/bpf/maps/elem-reader.js';
import { Errno } from '../../../src/bpf/syscall/bpf-errors.js';
import { BpfMap } from '../../../src/bpf/maps/map.js';
import { valueSlot } from '../../../src/bpf/maps/map-types.js';
import { NativeBlock } from '../../../src/bpf/syscall/native-block.js';
import { bpf, callsSince, snapshotCalls } from '../../../src/bpf/syscall/syscall.js';
import { openBenchMap } from '../../../src/harness/filling/bench-map.js';
import { bitSet, expectationFor, expectedCount, presentAfterFill } from '../../../src/harness/filling/expectation.js';
import { fillMap } from '../../../src/harness/filling/fill.js';
import { Pattern } from '../../../src/harness/filling/pattern.js';
import { silentProgress } from '../../../src/harness/measuring/progress.js';
import { Verifier } from '../../../src/harness/verification/verifier.js';
import { batch } from '../../../src/strategies/batch.js';

/** Indices of the keys a map holds, by a GET_NEXT_KEY walk written here (each key's tail checked against the pattern). */
function walkIndices(map: BpfMap, pattern: Pattern): Set<number> {
  const ks = map.keySize;
  const mem = new NativeBlock(MapElemAttr.SIZE + 2 * ks);
  const cur = MapElemAttr.SIZE;
  const next = cur + ks;
  const seen = new Set<number>();
  try {
    mem.setU32(MapElemAttr.map_fd, map.fd);
    mem.setU64(MapElemAttr.key, 0);
    mem.setU64(MapElemAttr.value, mem.addr + next);
    for (let steps = 0; ; steps++) {
      assert.ok(steps <= map.maxEntries, 'the walk ends');
      const r = bpf(Cmd.MAP_GET_NEXT_KEY, mem.addr, MapElemAttr.SIZE);
      if (r === -Errno.ENOENT) break;
      assert.equal(r, 0);
      const i = pattern.keyIndex(mem.bytes, next);
      assert.ok(pattern.keyTailOk(i, mem.bytes, next), `key ${i} as the loader wrote it`);
      seen.add(i);
      mem.bytes.copyWithin(cur, next, next + ks);
      mem.setU64(MapElemAttr.key, mem.addr + cur);
    }
  } finally {
    mem.free();
  }
  return seen;
}

const indicesOf = (bits: Uint32Array, n: number) => {
  const out = new Set<number>();
  for (let i = 0; i < n; i++) if (bitSet(bits, i)) out.add(i);
  return out;
};

function lruMap(type: MapTypeName, keySize: number, valueSize: number, maxEntries: number): { map: BpfMap; pattern: Pattern } {
  const t = MapType[type];
  const map = BpfMap.create({ type: t, keySize, valueSize, maxEntries, name: 'bpfbench_test' });
  const pattern = new Pattern({ keySize, valueSize, valueSlot: valueSlot(t, valueSize), slots: type.includes('percpu') ? possibleCpus() : 1 });
  return { map, pattern };
}

/** Reading the map any way the strategies do now throws: whatever works, does without them. */
function withReadersBroken<T>(use: () => T): T {
  const fail = () => {
    throw new Error('a read strategy reader was used');
  };
  const saved = { next: BatchCursor.prototype.next, nextKey: ElemReader.prototype.nextKey, lookup: ElemReader.prototype.lookup };
  BatchCursor.prototype.next = fail;
  ElemReader.prototype.nextKey = fail;
  ElemReader.prototype.lookup = fail;
  try {
    return use();
  } finally {
    Object.assign(BatchCursor.prototype, { next: saved.next });
    Object.assign(ElemReader.prototype, { nextKey: saved.nextKey, lookup: saved.lookup });
  }
}

for (const [type, keySize, valueSize] of [
  ['lru_hash', 4, 4],
  ['lru_percpu_hash', 8, 12],
] as [MapTypeName, number, number][]) {
  test(`${type} ${keySize}/${valueSize} filled beyond capacity: the census holds exactly the keys a GET_NEXT_KEY walk finds, by N LOOKUP_ELEM alone`, () => {
    const maxEntries = 2000;
    const written = 6000;
    const { map, pattern } = lruMap(type, keySize, valueSize, maxEntries);
    try {
      fillMap('batch', { map, entries: written, pattern }, silentProgress);
      const walked = walkIndices(map, pattern);
      assert.ok(walked.size > 0 && walked.size <= maxEntries, `kept ${walked.size}`);
      assert.ok(walked.size < written, 'the fill evicted');
      const before = snapshotCalls();
      const present = withReadersBroken(() => presentAfterFill(map, written, pattern));
      assert.deepEqual(callsSince(before), { LOOKUP_ELEM: written });
      assert.deepEqual(indicesOf(present, written), walked);
      // Probing changed nothing: the same keys are there afterwards.
      assert.deepEqual(walkIndices(map, pattern), walked);
      const e = withReadersBroken(() => expectationFor(map, written, pattern));
      assert.equal(expectedCount(e), walked.size);
    } finally {
      map.close();
    }
  });
}

test('a key present with a wrong value is still present: the verifier, not the census, judges values', () => {
  const { map, pattern } = lruMap('lru_hash', 4, 4, 100);
  const kv = new NativeBlock(8);
  try {
    fillMap('batch', { map, entries: 50, pattern }, silentProgress);
    kv.u32[0] = 7;
    kv.u32[1] = 0x12345678;
    map.updateElem(kv.addr, kv.addr + 4);
    const e = expectationFor(map, 50, pattern);
    assert.equal(bitSet(e.present!, 7), true);
    assert.equal(expectedCount(e), walkIndices(map, pattern).size);
  } finally {
    kv.free();
    map.close();
  }
});

test('a batch cursor that loses entries on an LRU map fails verification instead of setting what is expected', () => {
  // Every key whose index is a multiple of 3 vanishes from every LOOKUP_BATCH
  // result, from before the map is made: if the expectation were read with the
  // batch cursor, it would lose the same keys and the broken read would pass.
  const next = BatchCursor.prototype.next;
  BatchCursor.prototype.next = function (this: BatchCursor) {
    const r = next.call(this);
    if (!r.done) {
      const b = r.value;
      let w = 0;
      for (let i = 0; i < b.count; i++) {
        const k = b.keysU32[i]!;
        if (k % 3 === 0) continue;
        b.keysU32[w] = k;
        b.valuesI32[w++] = b.valuesI32[i]!;
      }
      b.count = w;
    }
    return r;
  };
  let restored = false;
  const restore = () => {
    BatchCursor.prototype.next = next;
    restored = true;
  };
  const n = 3000;
  const bench = openBenchMap({ mapType: 'lru_hash', keySize: 4, valueSize: 4, entries: n, maxEntries: n, fill: 'batch', mapFlags: 0, kernelCount: false }, silentProgress);
  try {
    const held = walkIndices(bench.map, bench.expect!.pattern!);
    assert.equal(expectedCount(bench.expect!), held.size, 'the expectation counts every key the map holds');
    assert.deepEqual(indicesOf(bench.expect!.present!, n), held);
    const lost = [...held].filter((k) => k % 3 === 0).length;
    assert.ok(lost > 0);
    const v = new Verifier(bench.expect!);
    const read = batch.prepare(bench.map, { chunk: 256, loop: 'js' }); // the JS loop walks with BatchCursor, the one broken here
    try {
      v.reset();
      read.read(v);
      const broken = v.verdict();
      assert.equal(broken.ok, false);
      assert.equal(broken.entries, held.size - lost);
      assert.ok(broken.problems.includes(`read ${(held.size - lost).toLocaleString('en-US')} entries, expected ${held.size.toLocaleString('en-US')}`), broken.problems.join('; '));
      restore();
      v.reset();
      read.read(v);
      const fixed = v.verdict();
      assert.equal(fixed.ok, true, fixed.problems.join('; '));
      assert.equal(fixed.entries, held.size);
    } finally {
      read.free();
    }
  } finally {
    if (!restored) restore();
    bench.close();
  }
});

test("the census's module graph holds none of the read strategies' code", () => {
  // Follow the compiled static imports from expectation.js (type-only imports are gone after tsc).
  const here = dirname(fileURLToPath(import.meta.url));
  const start = resolve(here, '../../../src/harness/filling/expectation.js');
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*['"](\.[^'"]+)['"]|^\s*import\s*['"](\.[^'"]+)['"]/gm)) {
      todo.push(resolve(dirname(file), (m[1] ?? m[2])!));
    }
  }
  const rel = [...seen].map((f) => f.slice(resolve(here, '../../../src').length + 1)).sort();
  assert.ok(rel.includes('bpf/maps/key-probe.js'), rel.join(' '));
  for (const f of rel) {
    assert.ok(!/^(bpf\/(maps\/(batch-cursor|elem-reader|fixed-cursor|map)|native\/native-loop|programs\/map-iter)\.js|strategies\/)/.test(f), `expectation.js reaches ${f}`);
  }
});

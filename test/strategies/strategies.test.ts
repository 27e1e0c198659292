// Every strategy against a real map, in both read loops (--loop native and
// js): it reads what the map holds, with the exact number of bpf calls (for
// batch reads, on zero-seed maps, whose bucket layout test/bpf/maps/zero-seed.ts
// computes as the kernel does); the published loop is caught; a map mutated
// underneath does not hang the per-element walk; the LOOKUP_ELEM +
// DELETE_ELEM drain (kernels before 5.14) works on this one when forced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cmd, MapFlag, MapType } from '../../src/bpf/syscall/constants.js';
import { BpfMap } from '../../src/bpf/maps/map.js';
import { InvalidInputError, UsageError } from '../../src/errors.js';
import { NativeBlock } from '../../src/bpf/syscall/native-block.js';
import { MapElemAttr } from '../../src/bpf/syscall/attr.js';
import { bpf, callsSince, snapshotCalls } from '../../src/bpf/syscall/syscall.js';
import { Verifier } from '../../src/harness/verification/verifier.js';
import { batch } from '../../src/strategies/batch.js';
import { batchFixedCursor } from '../../src/strategies/batch-fixed-cursor.js';
import { batchDelete, elemDelete, prepareElemDelete } from '../../src/strategies/drain.js';
import { elem, MapChangedError } from '../../src/strategies/elem.js';
import { iter } from '../../src/strategies/iter.js';
import { batchDeleteSharded, batchSharded } from '../../src/strategies/sharded.js';
import { READ_LOOPS, requireLoop, strategyByName, strategyLabel, STRATEGIES } from '../../src/strategies/index.js';
import { NATIVE_NOT_BUILT, setNativeLibPath } from '../../src/bpf/native/native-library.js';
import { NATIVE_LIB, ROOT } from '../../src/paths.js';
import { relative } from 'node:path';
import { filledHashMap, VALUE } from '../helpers.js';
import { firstBatch, predictWalk, zeroSeedBuckets } from '../bpf/maps/zero-seed.js';

const N = 1 << 16;

/** Writes keys 0..n-1 → VALUE into an existing map (UPDATE_BATCH), as a drain's refill does. */
function fillKeys(map: BpfMap, n: number): void {
  const keys = new NativeBlock(n * 4);
  const values = new NativeBlock(n * 4);
  try {
    for (let i = 0; i < n; i++) keys.u32[i] = i;
    values.u32.fill(VALUE >>> 0);
    map.updateBatch(keys.addr, values.addr, n);
  } finally {
    keys.free();
    values.free();
  }
}

for (const loop of READ_LOOPS) {
  test(`elem (${loop} loop) reads all N entries with exactly 2N+1 bpf calls`, () => {
    const map = filledHashMap(N);
    const p = elem.prepare(map, { chunk: 0, loop });
    try {
      const v = new Verifier({ entries: N, value: VALUE });
      v.reset();
      const before = snapshotCalls();
      const rep = p.read(v);
      const calls = callsSince(before);
      const verdict = v.verdict();
      assert.equal(verdict.ok, true, verdict.problems.join('; '));
      assert.equal(rep.counted, N);
      assert.deepEqual(calls, { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N });
      // A second read through the same prepared strategy is the same.
      v.reset();
      const before2 = snapshotCalls();
      p.read(v);
      assert.deepEqual(callsSince(before2), calls);
      assert.equal(v.verdict().ok, true);
    } finally {
      p.free();
      map.close();
    }
  });

  for (const chunk of [1, 64, 1000, 4096, 1 << 17]) {
    test(`batch(${chunk}) (${loop} loop) reads all N entries in exactly the calls the zero-seed bucket layout needs`, () => {
      const map = filledHashMap(N, { flags: MapFlag.ZERO_SEED });
      const p = batch.prepare(map, { chunk, loop });
      // The kernel's walk of the layout jhash with seed 0 gives (test/bpf/maps/zero-seed.ts):
      // whole buckets per call, a call ending before a bucket that does not fit,
      // the chunk doubled on ENOSPC (chunk 1: buckets hold more), the entries of
      // the final ENOENT call counted.
      const want = predictWalk(zeroSeedBuckets(N), chunk, true);
      try {
        const v = new Verifier({ entries: N, value: VALUE });
        v.reset();
        const before = snapshotCalls();
        const rep = p.read(v);
        const calls = callsSince(before);
        const verdict = v.verdict();
        assert.equal(verdict.ok, true, verdict.problems.join('; '));
        const { callLatency, ...counts } = rep;
        assert.deepEqual(counts, { counted: N, chunk: want.chunk, chunkGrowths: want.growths });
        assert.ok(callLatency, 'the read timed its calls');
        assert.deepEqual(calls, { LOOKUP_BATCH: want.calls });
        if (chunk === 1) assert.ok(want.growths > 0, 'chunk 1 grows: some bucket holds two entries or more');
        if (chunk > N) assert.equal(want.calls, 1, 'a chunk above the map takes it in one call (the ENOENT one)');
        // A second read starts from the grown chunk: the walk of that chunk, no ENOSPC left.
        const again = predictWalk(zeroSeedBuckets(N), want.chunk);
        v.reset();
        const before2 = snapshotCalls();
        const { callLatency: _l2, ...rep2 } = p.read(v);
        assert.deepEqual(callsSince(before2), { LOOKUP_BATCH: again.calls });
        assert.deepEqual(rep2, { counted: N, chunk: want.chunk, chunkGrowths: want.growths }, 'the chunk, and the growths it took, carried over');
        assert.equal(v.verdict().ok, true);
      } finally {
        p.free();
        map.close();
      }
    });
  }

  test(`the never-advancing cursor (the published loop, ${loop} loop) is caught by verification`, () => {
    const chunk = 512;
    const map = filledHashMap(N);
    const p = batchFixedCursor.prepare(map, { chunk, loop });
    try {
      const v = new Verifier({ entries: N, value: VALUE });
      v.reset();
      const before = snapshotCalls();
      const rep = p.read(v);
      const verdict = v.verdict();
      // It makes max_entries/chunk calls, like the Go program...
      assert.deepEqual(callsSince(before), { LOOKUP_BATCH: N / chunk });
      // ...each returning the same first batch (whole buckets from bucket 0, up
      // to a chunk, whatever this map's random seed put there): it counts that
      // batch once per call and sees its keys only, and verification says so.
      assert.equal(verdict.ok, false);
      assert.ok(verdict.distinct > 0 && verdict.distinct <= chunk, `${verdict.distinct} distinct`);
      assert.equal(rep.counted, (N / chunk) * verdict.distinct);
      assert.match(verdict.problems.join(';'), /distinct keys of 65,536/);
    } finally {
      p.free();
      map.close();
    }
  });

  test(`batch-fixed-cursor (${loop} loop) issues floor(max_entries / chunk) calls, each re-reading the first batch`, () => {
    // 1000 / 64 is not whole: the loop rounds down, like the Go program's.
    const n = 1000;
    const chunk = 64;
    const calls = Math.floor(n / chunk);
    const map = filledHashMap(n, { flags: MapFlag.ZERO_SEED });
    const p = batchFixedCursor.prepare(map, { chunk, loop });
    try {
      const v = new Verifier({ entries: n, value: VALUE });
      v.reset();
      const before = snapshotCalls();
      const rep = p.read(v);
      assert.deepEqual(callsSince(before), { LOOKUP_BATCH: calls });
      const first = firstBatch(zeroSeedBuckets(n), chunk);
      const { callLatency, ...said } = rep;
      assert.deepEqual(said, { counted: calls * first, chunk, chunkGrowths: 0 });
      assert.equal(callLatency?.sampledEvery, 1, 'chunk 64: every call timed');
      const verdict = v.verdict();
      assert.equal(verdict.ok, false);
      assert.equal(verdict.distinct, first);
    } finally {
      p.free();
      map.close();
    }
  });

  test(`elem-delete (${loop} loop), the LOOKUP_ELEM + DELETE_ELEM fallback forced: every entry taken, the map empty, 3N+1 calls`, () => {
    const n = 5000;
    const map = filledHashMap(n);
    const v = new Verifier({ entries: n, value: VALUE });
    // The fallback of kernels before 5.14; this kernel has LOOKUP_AND_DELETE_ELEM, so it is forced.
    const p = prepareElemDelete(map, { chunk: 0, loop, refill: () => fillKeys(map, n) }, true);
    try {
      assert.match(p.note ?? '', /LOOKUP_ELEM \+ DELETE_ELEM instead \(3N\+1 calls\)/);
      // Twice: the second read drains what the refill wrote back.
      for (let read = 0; read < 2; read++) {
        p.beforeRead!();
        v.reset();
        const before = snapshotCalls();
        const rep = p.read(v);
        const calls = callsSince(before);
        const verdict = v.verdict();
        assert.equal(verdict.ok, true, verdict.problems.join('; '));
        assert.equal(rep.counted, n);
        assert.deepEqual(calls, { GET_NEXT_KEY: n + 1, LOOKUP_ELEM: n, DELETE_ELEM: n });
        assert.equal(p.afterRead!(), undefined, 'the map is empty after the drain');
        assert.equal(map.isEmpty(), true);
      }
    } finally {
      p.free();
      map.close();
    }
  });
}

test('elem (js loop) gives up on a map that keeps changing instead of walking forever', () => {
  const n = 2000;
  const map = filledHashMap(n);
  const p = elem.prepare(map, { chunk: 0, loop: 'js' });
  const mem = new NativeBlock(64);
  let next = n;
  // A sink that deletes each key it is given and inserts a new one: every
  // GET_NEXT_KEY then starts from a key that no longer exists, i.e. from the
  // first bucket again.
  class Mutating extends Verifier {
    override add(key: number, value: number): void {
      super.add(key, value);
      mem.u32[8] = key;
      mem.setU32(MapElemAttr.map_fd, map.fd);
      mem.setU64(MapElemAttr.key, mem.addr + 32);
      assert.equal(bpf(Cmd.MAP_DELETE_ELEM, mem.addr, MapElemAttr.SIZE), 0);
      mem.u32[9] = next++;
      mem.u32[10] = VALUE;
      mem.setU64(MapElemAttr.key, mem.addr + 36);
      mem.setU64(MapElemAttr.value, mem.addr + 40);
      assert.equal(bpf(Cmd.MAP_UPDATE_ELEM, mem.addr, MapElemAttr.SIZE), 0);
      mem.setU64(MapElemAttr.value, 0);
    }
  }
  try {
    // Every entry through addMany (native: false): the map is changed between hand-overs.
    const v = new Mutating({ entries: n, value: VALUE }, { native: false });
    v.reset();
    assert.throws(
      () => p.read(v),
      (e: unknown) =>
        e instanceof MapChangedError &&
        /changing underneath/.test(e.message) &&
        e.name === 'MapChangedError' &&
        e.steps === n + 1 &&
        e.message === 'per-element walk aborted after 2,001 keys (more than max_entries): the map is changing underneath' &&
        e instanceof UsageError &&
        e.reason === 'cannot-run',
    );
  } finally {
    mem.free();
    p.free();
    map.close();
  }
});

test('elem (native loop) gives up on a map that keeps changing: the same MapChangedError, after a hand-over', () => {
  // The C loop hands over up to 64Ki entries at a time, so the map is changed
  // between hand-overs: a sink that deletes every key it is given and inserts
  // a new one. The next hand-over's first GET_NEXT_KEY starts from a deleted
  // key, i.e. from the first bucket again, and walks past max_entries.
  const n = 70_000;
  const map = filledHashMap(n);
  const p = elem.prepare(map, { chunk: 0, loop: 'native' });
  const mem = new NativeBlock(64);
  let next = n;
  let handOvers = 0;
  class Mutating extends Verifier {
    override addMany(keys: Uint32Array, values: Int32Array, count: number): void {
      super.addMany(keys, values, count);
      handOvers++;
      mem.setU32(MapElemAttr.map_fd, map.fd);
      for (let i = 0; i < count; i++) {
        mem.u32[8] = keys[i]!;
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
  }
  try {
    // Every entry through addMany (native: false): the map is changed between hand-overs.
    const v = new Mutating({ entries: n, value: VALUE }, { native: false });
    v.reset();
    assert.throws(
      () => p.read(v),
      (e: unknown) =>
        e instanceof MapChangedError &&
        e.steps === n + 1 &&
        e.message === 'per-element walk aborted after 70,001 keys (more than max_entries): the map is changing underneath' &&
        e instanceof UsageError &&
        e.reason === 'cannot-run',
    );
    // The first hand-over, and the entries of the second before the bound.
    assert.equal(handOvers, 2);
  } finally {
    mem.free();
    p.free();
    map.close();
  }
});

test('without the native library, a native prepare fails with the one line and js still reads; native is the default', () => {
  const map = filledHashMap(1000);
  setNativeLibPath('/nonexistent/libbpfbench.so');
  try {
    for (const s of [elem, batch, batchFixedCursor]) {
      assert.throws(
        () => s.prepare(map, { chunk: 64, loop: 'native' }),
        (e: unknown) => e instanceof UsageError && e.reason === 'cannot-run' && e.message === NATIVE_NOT_BUILT,
      );
      // Naming no loop is asking for the native one.
      assert.throws(
        () => s.prepare(map, { chunk: 64 }),
        (e: unknown) => e instanceof UsageError && e.message === NATIVE_NOT_BUILT,
        `${s.name}: no loop named`,
      );
      assert.throws(
        () => requireLoop('native'),
        (e: unknown) => e instanceof UsageError && e.message === NATIVE_NOT_BUILT,
      );
      const p = s.prepare(map, { chunk: 64, loop: 'js' });
      p.free();
    }
    assert.doesNotThrow(() => requireLoop('js'));
  } finally {
    setNativeLibPath(NATIVE_LIB);
    map.close();
  }
  assert.doesNotThrow(() => requireLoop('native'), 'loads again from its real path');
  // The line names the file that is missing (where the loader looks) and both ways out.
  assert.ok(NATIVE_NOT_BUILT.includes(`(${relative(ROOT, NATIVE_LIB)})`), NATIVE_NOT_BUILT);
  assert.match(NATIVE_NOT_BUILT, /run 'make', or use --loop js$/);
});

test('the registry holds each strategy module once, found by its name; chunked ones are labelled with the chunk', () => {
  assert.deepEqual(new Set(STRATEGIES), new Set([elem, batch, batchFixedCursor, elemDelete, batchDelete, iter, batchSharded, batchDeleteSharded]));
  assert.equal(new Set(STRATEGIES).size, STRATEGIES.length, 'none twice');
  assert.equal(new Set(STRATEGIES.map((s) => s.name)).size, STRATEGIES.length, 'names distinct');
  for (const s of STRATEGIES) assert.equal(strategyByName(s.name), s, s.name);
  assert.equal(strategyByName('nope'), undefined);
  assert.equal(strategyLabel(batch, 4096), 'batch(4096)');
  assert.equal(strategyLabel(elem, 4096), 'elem');
});

test('drains refuse array maps as invalid input; iter without its program cannot run', () => {
  const map = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: 4, maxEntries: 16 });
  try {
    for (const s of [elemDelete, batchDelete]) {
      assert.throws(
        () => s.prepare(map, { chunk: 16, refill: () => {} }),
        (e: unknown) => e instanceof InvalidInputError && e.message === `${s.name}: array maps cannot delete entries (their elements always exist); use elem, batch or iter`,
      );
    }
    assert.throws(
      () => iter.prepare(map, { chunk: 16 }),
      (e: unknown) => e instanceof UsageError && e.reason === 'cannot-run' && e.message === "iter needs the BPF object's dump_map program (Linux 5.9+)",
    );
  } finally {
    map.close();
  }
});

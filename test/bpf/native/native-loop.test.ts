// The native read loop against the real kernel: for every kind and map shape
// it returns the same entries and makes the same calls, command by command,
// as the JavaScript loops (ElemReader, BatchCursor, the strategies' loops),
// and the kernel's own count agrees. Also: ENOSPC grow and strict, the fixed
// cursor's call count, the bounds, and the one-line error without the library.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Cmd, MapFlag, MapType, cmdLabel } from '../../../src/bpf/syscall/constants.js';
import { newKernelCounts } from '../../../src/bpf/programs/counter.js';
import { BpfError, Errno } from '../../../src/bpf/syscall/bpf-errors.js';
import { configureIter, ITER_PROG, MapIterLink } from '../../../src/bpf/programs/map-iter.js';
import { BpfObject } from '../../../src/bpf/programs/loader.js';
import { ChunkTooSmallError } from '../../../src/bpf/maps/batch-cursor.js';
import { FixedCursor } from '../../../src/bpf/maps/fixed-cursor.js';
import { BpfMap, type MapSpec } from '../../../src/bpf/maps/map.js';
import type { NativeBatchOptions } from '../../../src/bpf/native/native-library.js';
import { NATIVE_NOT_BUILT, NativeStatus, setNativeLibPath } from '../../../src/bpf/native/native-library.js';
import { NativeRead } from '../../../src/bpf/native/native-loop.js';
import { NativeBlock } from '../../../src/bpf/syscall/native-block.js';
import { callsSince, snapshotCalls } from '../../../src/bpf/syscall/syscall.js';
import { UsageError } from '../../../src/errors.js';
import { kernelDelta } from '../../../src/harness/measuring/read-sample.js';
import { MAP_NAME } from '../../../src/harness/filling/bench-map.js';
import { NATIVE_LIB, ROOT } from '../../../src/paths.js';
import { assertIterRefused, ITER, requireTool, startCounter } from '../../helpers.js';

interface Shape {
  name: string;
  spec: MapSpec;
  n: number;
}

const hash = (maxEntries: number, extra: Partial<MapSpec> = {}): MapSpec => ({ type: MapType.hash, keySize: 4, valueSize: 4, maxEntries, name: 'native_test', ...extra });
const SHAPES: Shape[] = [
  { name: 'u32 hash, empty', spec: hash(64), n: 0 },
  { name: 'u32 hash, 1 entry', spec: hash(16), n: 1 },
  { name: 'u32 hash, 3000 of 4000', spec: hash(4000), n: 3000 },
  { name: 'zero-seed hash, 1000', spec: hash(1000, { flags: MapFlag.ZERO_SEED }), n: 1000 },
  { name: 'array, 700', spec: hash(700, { type: MapType.array }), n: 700 },
  { name: 'percpu_hash value 8, 1500', spec: hash(2000, { type: MapType.percpu_hash, valueSize: 8 }), n: 1500 },
  { name: 'hash key 16, 800', spec: hash(1000, { keySize: 16, valueSize: 12 }), n: 800 },
];
const isArray = (s: Shape) => s.spec.type === MapType.array;

/** Creates the map and writes keys 0..n-1 (key bytes past the index patterned) with patterned values. */
function makeMap(shape: Shape): BpfMap {
  const map = BpfMap.create(shape.spec);
  fill(map, shape.n);
  return map;
}

function fill(map: BpfMap, n: number): void {
  const ks = map.keySize;
  const vs = map.valueStride;
  const step = 1024;
  const keys = new NativeBlock(step * ks);
  const values = new NativeBlock(step * vs);
  try {
    for (let start = 0; start < n; start += step) {
      const count = Math.min(step, n - start);
      for (let i = 0; i < count; i++) {
        const k = start + i;
        keys.view.setUint32(i * ks, k, true);
        for (let j = 4; j < ks; j++) keys.bytes[i * ks + j] = (k * 7 + j) & 0xff;
        for (let j = 0; j < vs; j++) values.bytes[i * vs + j] = (k * 31 + j * 13 + 1) & 0xff;
      }
      map.updateBatch(keys.addr, values.addr, count);
    }
  } finally {
    keys.free();
    values.free();
  }
}

const hex = (b: Uint8Array, off: number, len: number) => Buffer.from(b.buffer, b.byteOffset + off, len).toString('hex');

/** What a read returned and did: entries in order, how it ended, and its calls by command. */
interface Outcome {
  entries: string[];
  end: string;
  calls: Record<string, number>;
  reads?: number;
}

function addPacked(out: string[], keys: Uint8Array, values: Uint8Array, n: number, ks: number, vs: number): void {
  for (let i = 0; i < n; i++) out.push(`${hex(keys, i * ks, ks)}=${hex(values, i * vs, vs)}`);
}

const describe = (e: unknown): string => (e instanceof ChunkTooSmallError ? `enospc(${e.chunk})` : e instanceof BpfError ? `${e.cmd}:${e.code}:${e.message}` : String(e));

/** Runs a read, recording the calls it made (our self-count) and how it ended. */
function record(body: (entries: string[]) => string): Outcome {
  const entries: string[] = [];
  const before = snapshotCalls();
  let end: string;
  try {
    end = body(entries);
  } catch (e) {
    end = describe(e);
  }
  return { entries, end, calls: callsSince(before) };
}

// --- The JavaScript loops, as src/strategies/*.ts run them ------------------

function jsElem(map: BpfMap, maxSteps = map.maxEntries): Outcome {
  const r = map.elemReader();
  try {
    return record((out) => {
      let steps = 0;
      while (r.nextKey()) {
        if (++steps > maxSteps) return `changed(${steps})`;
        if (!r.lookup()) continue;
        addPacked(out, r.keyBytes, r.valueBytes, 1, map.keySize, map.valueStride);
      }
      return 'end';
    });
  } finally {
    r.free();
  }
}

function jsElemDelete(map: BpfMap, maxSteps = map.maxEntries): Outcome {
  const r = map.elemReader();
  try {
    return record((out) => {
      if (!r.nextKey()) return 'end';
      let steps = 0;
      for (;;) {
        const more = r.nextKey();
        if (++steps > maxSteps) return `changed(${steps})`;
        if (r.takePrev(false)) addPacked(out, r.prevKeyBytes, r.valueBytes, 1, map.keySize, map.valueStride);
        if (!more) return 'end';
      }
    });
  } finally {
    r.free();
  }
}

function jsBatch(map: BpfMap, chunk: number, o: NativeBatchOptions = {}): Outcome & { chunk: number; growths: number } {
  const c = o.fixedCursor ? new FixedCursor(map, chunk, o.maxCalls!) : map.batches(chunk, o);
  try {
    const res = record((out) => {
      for (const b of c) addPacked(out, b.keyBytes, b.valueBytes, b.count, map.keySize, map.valueStride);
      return 'end';
    });
    return { ...res, chunk: c.chunk, growths: c.growths };
  } finally {
    c.free();
  }
}

/** strategies/iter.ts's loop, with its read buffer as a parameter. */
function jsIter(link: MapIterLink, map: BpfMap, readBuffer: number): Outcome {
  const rec = map.keySize + map.valueStride;
  const buf = new Uint8Array(Math.ceil((readBuffer + rec) / 8) * 8);
  let reads = 0;
  const res = record((out) => {
    const fd = link.open();
    let have = 0;
    try {
      for (;;) {
        reads++;
        const n = MapIterLink.read(fd, buf, have);
        if (n === 0) break;
        have += n;
        const records = Math.floor(have / rec);
        for (let i = 0; i < records; i++) out.push(`${hex(buf, i * rec, map.keySize)}=${hex(buf, i * rec + map.keySize, map.valueStride)}`);
        const used = records * rec;
        if (used < have) buf.copyWithin(0, used, have);
        have -= used;
      }
    } finally {
      MapIterLink.closeFd(fd);
    }
    return have === 0 ? 'end' : `partial(${have})`;
  });
  return { ...res, reads };
}

// --- The same reads through the native loop --------------------------------

/** Drains a NativeRead hand-over by hand-over; `mapChanged` names the elem bound as the JS loops do. */
function nativeRun(r: NativeRead, map: BpfMap, fd?: number): Outcome {
  const res = record((out) => {
    r.reset(fd);
    const ks = map.keySize;
    const vs = map.valueStride;
    for (;;) {
      const h = r.next();
      if (r.kind === 'iter') {
        const rec = ks + vs;
        for (let i = 0; i < h.count; i++) out.push(`${hex(h.bytes, i * rec, ks)}=${hex(h.bytes, i * rec + ks, vs)}`);
      } else {
        addPacked(out, h.keyBytes, h.valueBytes, h.count, ks, vs);
      }
      if (h.status === NativeStatus.more) continue;
      const err = r.failure((steps) => new Error(`changed(${steps})`));
      if (err && /^changed|^the iterator ended/.test(err.message)) return err.message.startsWith('changed') ? err.message : `partial(${r.bytes - h.count * (ks + vs)})`;
      if (err) throw err;
      return 'end';
    }
  });
  assertCountsMatch(r, res.calls);
  return r.kind === 'iter' ? { ...res, reads: r.reads } : res;
}

/** The C loop's own counters equal what it added to the process's self-count. */
function assertCountsMatch(r: NativeRead, self: Record<string, number>): void {
  const own: Record<string, number> = {};
  r.counts.forEach((n, i) => {
    if (n > 0) own[cmdLabel(i)] = n;
  });
  assert.deepEqual(own, self);
}

const sorted = (o: Outcome) => ({ ...o, entries: [...o.entries].sort() });

for (const shape of SHAPES) {
  test(`${shape.name}: elem, native == JS, entries and calls`, () => {
    const map = makeMap(shape);
    try {
      const js = jsElem(map);
      assert.equal(js.entries.length, shape.n);
      for (const handOverEntries of [undefined, 7, 1]) {
        const r = NativeRead.elem(map, { handOverEntries });
        try {
          assert.deepEqual(nativeRun(r, map), js);
          assert.deepEqual(nativeRun(r, map), js, 'again after reset()');
        } finally {
          r.free();
        }
      }
      assert.deepEqual(js.calls, shape.n ? { GET_NEXT_KEY: shape.n + 1, LOOKUP_ELEM: shape.n } : { GET_NEXT_KEY: 1 });
    } finally {
      map.close();
    }
  });

  test(`${shape.name}: batch and the fixed cursor, native == JS`, () => {
    const map = makeMap(shape);
    try {
      for (const chunk of [256, 4096, 7]) {
        const grow: NativeBatchOptions = { onEnospc: 'grow' };
        const js = jsBatch(map, chunk, grow);
        assert.deepEqual([...js.entries].sort(), jsElem(map).entries.sort(), `batch(${chunk}) reads what elem reads`);
        for (const handOverEntries of [undefined, chunk]) {
          const r = NativeRead.batch(map, chunk, { ...grow, handOverEntries });
          try {
            const got = nativeRun(r, map);
            assert.deepEqual({ ...got, chunk: r.chunk, growths: r.growths }, js, `batch(${chunk}), hand-over ${handOverEntries}`);
          } finally {
            r.free();
          }
        }
        // The published loop: max_entries / chunk calls from the same cursor.
        const maxCalls = Math.max(1, Math.floor(map.maxEntries / chunk));
        const fixed: NativeBatchOptions = { fixedCursor: true, maxCalls };
        const jsf = jsBatch(map, chunk, fixed);
        const r = NativeRead.batch(map, chunk, fixed);
        try {
          assert.deepEqual({ ...nativeRun(r, map), chunk: r.chunk, growths: r.growths }, jsf);
        } finally {
          r.free();
        }
        if (shape.n === 0) assert.deepEqual(jsf.calls, { LOOKUP_BATCH: 1 }, 'an empty map ends at the first ENOENT');
        else if (jsf.end === 'end') assert.deepEqual(jsf.calls, { LOOKUP_BATCH: maxCalls });
      }
    } finally {
      map.close();
    }
  });

  if (isArray(shape)) continue;

  test(`${shape.name}: elem-delete and batch-delete, native == JS`, () => {
    const map = makeMap(shape);
    try {
      const full = jsElem(map).entries.sort();
      const js = jsElemDelete(map);
      assert.equal(map.isEmpty(), true);
      assert.deepEqual([...js.entries].sort(), full);
      for (const handOverEntries of [undefined, 5]) {
        fill(map, shape.n);
        const r = NativeRead.elemDelete(map, { separate: false, handOverEntries });
        try {
          assert.deepEqual(sorted(nativeRun(r, map)), sorted(js));
          assert.equal(map.isEmpty(), true);
        } finally {
          r.free();
        }
      }
      // LOOKUP_ELEM + DELETE_ELEM (kernels before 5.14): the same entries, and N DELETE_ELEM more.
      fill(map, shape.n);
      const r = NativeRead.elemDelete(map, { separate: true });
      try {
        const sep = nativeRun(r, map);
        assert.deepEqual([...sep.entries].sort(), full);
        const n = shape.n;
        assert.deepEqual(sep.calls, n ? { GET_NEXT_KEY: n + 1, LOOKUP_ELEM: n, DELETE_ELEM: n } : { GET_NEXT_KEY: 1 });
        assert.equal(map.isEmpty(), true);
      } finally {
        r.free();
      }
      for (const chunk of [256, 3]) {
        fill(map, shape.n);
        const o: NativeBatchOptions = { onEnospc: 'grow', deleting: true };
        const jsb = jsBatch(map, chunk, o);
        assert.equal(map.isEmpty(), true);
        assert.deepEqual([...jsb.entries].sort(), full);
        fill(map, shape.n);
        const rb = NativeRead.batch(map, chunk, o);
        try {
          const got = nativeRun(rb, map);
          assert.deepEqual(sorted({ ...got, chunk: rb.chunk, growths: rb.growths } as Outcome), sorted(jsb));
          assert.equal(map.isEmpty(), true);
        } finally {
          rb.free();
        }
      }
    } finally {
      map.close();
    }
  });
}

test('iter: native == JS read by read, records carried across reads and hand-overs (where this kernel loads the iterator; else its refusal)', () => {
  if (!ITER) return assertIterRefused();
  for (const shape of [...SHAPES, { name: 'u32 hash, 20000', spec: hash(20000), n: 20000 }]) {
    const map = makeMap(shape);
    const obj = BpfObject.open();
    let link: MapIterLink | undefined;
    try {
      obj.configureMap(MAP_NAME, { maxEntries: 1 });
      obj.autoloadOnly([ITER_PROG]);
      configureIter(obj, map);
      obj.load();
      link = new MapIterLink(obj.programFd(ITER_PROG), map);
      const full = jsElem(map).entries.sort();
      for (const readBuffer of [64 * 1024, 1000, 50]) {
        const js = jsIter(link, map, readBuffer);
        assert.deepEqual([...js.entries].sort(), full, `${shape.name}: iter reads what elem reads`);
        const r = NativeRead.iter(map, { readBuffer });
        try {
          const fd = link.open();
          try {
            const got = nativeRun(r, map, fd);
            // The ITER_CREATE that opened the fd was made before the native run.
            assert.deepEqual(got, { ...js, calls: Object.fromEntries(Object.entries(js.calls).filter(([k]) => k !== 'ITER_CREATE')) }, `${shape.name}, read buffer ${readBuffer}`);
            assert.deepEqual(js.calls, { ITER_CREATE: 1 });
          } finally {
            MapIterLink.closeFd(fd);
          }
        } finally {
          r.free();
        }
      }
    } finally {
      link?.close();
      obj.close();
      map.close();
    }
  }
});

test('ENOSPC on a bucket larger than the chunk: strict fails as the JS does, grow doubles and retries', () => {
  const map = makeMap(SHAPES[3]!); // zero-seed hash, 1000 entries
  try {
    const strict = jsBatch(map, 1);
    assert.equal(strict.end, 'enospc(1)');
    const r = NativeRead.batch(map, 1);
    try {
      const got = nativeRun(r, map);
      assert.deepEqual({ ...got, chunk: r.chunk, growths: r.growths }, strict);
      assert.ok(r.failure() instanceof ChunkTooSmallError);
    } finally {
      r.free();
    }
    const grow = jsBatch(map, 1, { onEnospc: 'grow' });
    assert.equal(grow.end, 'end');
    assert.ok(grow.growths >= 1);
    assert.equal(grow.entries.length, 1000);
    for (const handOverEntries of [undefined, 1]) {
      // A hand-over of one entry: every growth outgrows the buffers, which are reallocated mid-walk.
      const g = NativeRead.batch(map, 1, { onEnospc: 'grow', handOverEntries });
      try {
        assert.deepEqual({ ...nativeRun(g, map), chunk: g.chunk, growths: g.growths }, grow);
      } finally {
        g.free();
      }
    }
  } finally {
    map.close();
  }
});

test('a growth on the last allowed call is still retried, past maxCalls, as the JS cursor does', () => {
  const map = makeMap(SHAPES[3]!); // zero-seed hash, 1000 entries
  try {
    const k = jsBatch(map, 1).calls.LOOKUP_BATCH!; // the k-th call is the first ENOSPC
    const js = jsBatch(map, 1, { onEnospc: 'grow', maxCalls: k });
    assert.match(js.end, /ELOOP.*no end after \d+ calls/);
    assert.ok(js.calls.LOOKUP_BATCH! > k, `${js.calls.LOOKUP_BATCH} calls, maxCalls ${k}`);
    const r = NativeRead.batch(map, 1, { onEnospc: 'grow', maxCalls: k });
    try {
      assert.deepEqual({ ...nativeRun(r, map), chunk: r.chunk, growths: r.growths }, js);
    } finally {
      r.free();
    }
  } finally {
    map.close();
  }
});

test('the bounds: more keys than max_steps is a changing map; more calls than maxCalls is no end', () => {
  const shape = SHAPES[2]!;
  const map = makeMap(shape);
  try {
    const js = jsElem(map, 100);
    assert.equal(js.end, 'changed(101)');
    assert.deepEqual(js.calls, { GET_NEXT_KEY: 101, LOOKUP_ELEM: 100 });
    for (const handOverEntries of [undefined, 30]) {
      const r = NativeRead.elem(map, { maxSteps: 100, handOverEntries });
      try {
        assert.deepEqual(nativeRun(r, map), js);
        assert.equal(r.steps, 101);
      } finally {
        r.free();
      }
    }
    const jsb = jsBatch(map, 64, { maxCalls: 3 });
    assert.match(jsb.end, /LOOKUP_BATCH:ELOOP:.*no end after 3 calls/);
    const rb = NativeRead.batch(map, 64, { maxCalls: 3 });
    try {
      assert.deepEqual({ ...nativeRun(rb, map), chunk: rb.chunk, growths: rb.growths }, jsb);
      const e = rb.failure();
      assert.ok(e instanceof BpfError && e.errno === Errno.ELOOP);
    } finally {
      rb.free();
    }
    const jsd = jsElemDelete(map, 50);
    assert.equal(jsd.end, 'changed(51)');
    fill(map, shape.n);
    const rd = NativeRead.elemDelete(map, { separate: false, maxSteps: 50 });
    try {
      assert.deepEqual(nativeRun(rd, map), jsd);
    } finally {
      rd.free();
    }
  } finally {
    map.close();
  }
});

test("the kernel counts the native loop's calls exactly as it counts them itself", () => {
  const { counter, close } = startCounter();
  const map = makeMap(SHAPES[2]!);
  try {
    const reads: [string, () => NativeRead, Record<string, number>][] = [
      ['elem', () => NativeRead.elem(map), { GET_NEXT_KEY: 3001, LOOKUP_ELEM: 3000 }],
      ['batch(256)', () => NativeRead.batch(map, 256), jsBatch(map, 256).calls],
      ['batch(7) grow', () => NativeRead.batch(map, 7, { onEnospc: 'grow', handOverEntries: 7 }), jsBatch(map, 7, { onEnospc: 'grow' }).calls],
    ];
    for (const [what, make, expected] of reads) {
      const r = make();
      try {
        const k0 = newKernelCounts();
        const k1 = newKernelCounts();
        counter.read(k0);
        const got = nativeRun(r, map);
        counter.read(k1);
        const kernel = kernelDelta(k0, k1);
        assert.equal(got.end, 'end');
        assert.deepEqual(kernel.bpf, got.calls, `${what}: kernel == self`);
        assert.deepEqual(got.calls, expected, `${what}: == the JS loop`);
        assert.equal(
          kernel.bpfTotal,
          Object.values(got.calls).reduce((a, b) => a + b, 0),
        );
      } finally {
        r.free();
      }
    }
  } finally {
    map.close();
    close();
  }
});

test('without the library: one line saying how to build it', () => {
  const map = makeMap(SHAPES[1]!);
  try {
    setNativeLibPath('/nonexistent/libbpfbench.so');
    assert.throws(
      () => NativeRead.elem(map),
      (e: unknown) => e instanceof UsageError && e.reason === 'cannot-run' && e.message === NATIVE_NOT_BUILT && !e.message.includes('\n'),
    );
  } finally {
    setNativeLibPath(NATIVE_LIB);
    map.close();
  }
  assert.equal(NATIVE_NOT_BUILT, "the native read loop is not built (native/libbpfbench.so): run 'make', or use --loop js");
});

test('a library built from another struct layout is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-native-'));
  const src = readFileSync(join(ROOT, 'native/read-loop.c'), 'utf8');
  const changed = src.replace('#define KEY_MAX 512', '#define KEY_MAX 256');
  assert.notEqual(changed, src);
  writeFileSync(join(dir, 'read-loop.c'), changed);
  const cc = spawnSync('clang', ['-O2', '-fPIC', '-shared', '-Wall', '-Werror', `-I${join(ROOT, 'native')}`, join(dir, 'read-loop.c'), join(ROOT, 'native/check.c'), '-o', join(dir, 'lib.so')], {
    encoding: 'utf8',
  });
  assert.equal(cc.status, 0, cc.stderr);
  const map = makeMap(SHAPES[1]!);
  try {
    setNativeLibPath(join(dir, 'lib.so'));
    assert.throws(
      () => NativeRead.elem(map),
      (e: unknown) => e instanceof UsageError && /does not match this build \(field\.in_batch is 360, expected 616.*const\.KEY_MAX is 256, expected 512.*\): run 'make'$/.test(e.message),
    );
  } finally {
    setNativeLibPath(NATIVE_LIB);
    map.close();
  }
  // And the real one loads again.
  const again = makeMap(SHAPES[1]!);
  try {
    const r = NativeRead.elem(again);
    assert.equal(nativeRun(r, again).entries.length, 1);
    r.free();
  } finally {
    again.close();
  }
});

test("a read fails with the JS loop's error: a closed map fd", () => {
  const map = makeMap(SHAPES[1]!);
  const r = NativeRead.elem(map);
  const b = NativeRead.batch(map, 4);
  map.close();
  try {
    r.reset();
    assert.equal(r.next().status, NativeStatus.error);
    const e = r.failure();
    assert.ok(e instanceof BpfError && e.cmd === cmdLabel(Cmd.MAP_GET_NEXT_KEY) && e.code === 'EBADF', String(e));
    b.reset();
    assert.equal(b.next().status, NativeStatus.error);
    const eb = b.failure();
    assert.ok(eb instanceof BpfError && eb.cmd === 'LOOKUP_BATCH' && eb.code === 'EBADF', String(eb));
  } finally {
    r.free();
    b.free();
  }
});

// What strace sees: the same syscalls with the same decoded attrs (count,
// in_batch NULL or not, flags...) and the same read(2) sizes, only the
// buffer addresses differing. A child process runs each read twice, the JS
// loop then the native one, between marker syscalls (access() of paths no
// one has); drains refill the map between the two, outside the markers.
const haveStrace = spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;
const STRACE_CHILD = `
import { existsSync } from 'node:fs';
const d = process.env.BPFBENCH_DIST;
const { NativeRead } = await import(d + 'src/bpf/native/native-loop.js');
const { loadNativeLoop } = await import(d + 'src/bpf/native/native-library.js');
loadNativeLoop(); // dlopen's own read(2)s happen here, not inside a phase
const { BpfMap } = await import(d + 'src/bpf/maps/map.js');
const { FixedCursor } = await import(d + 'src/bpf/maps/fixed-cursor.js');
const { NativeBlock } = await import(d + 'src/bpf/syscall/native-block.js');
const { BpfObject } = await import(d + 'src/bpf/programs/loader.js');
const { configureIter, ITER_PROG, MapIterLink } = await import(d + 'src/bpf/programs/map-iter.js');
const { MAP_NAME } = await import(d + 'src/harness/filling/bench-map.js');
const mark = (s) => existsSync('/bpfbench-native-' + s);
const phase = (name, js, native, between = () => {}) => {
  mark(name + '-js'); try { js(); } catch {} mark(name + '-mid');
  between();
  mark(name + '-native'); native(); mark(name + '-end');
};
const run = (r, fd) => { r.reset(fd); while (r.next().status === 1); r.free(); };
const cursor = (c) => { try { for (const _ of c); } finally { c.free(); } };
function make(n, spec) {
  const map = BpfMap.create({ type: 1, keySize: 4, valueSize: 4, maxEntries: n, ...spec });
  fill(map, n);
  return map;
}
function fill(map, n) {
  const keys = new NativeBlock(n * map.keySize), values = new NativeBlock(n * map.valueStride);
  for (let i = 0; i < n; i++) { keys.view.setUint32(i * map.keySize, i, true); values.bytes[i * map.valueStride] = i & 0xff; }
  map.updateBatch(keys.addr, values.addr, n);
  keys.free(); values.free();
}
const map = make(300);
const zero = make(1000, { flags: 0x40 });
phase('elem', () => { const e = map.elemReader(); while (e.nextKey()) e.lookup(); e.free(); }, () => run(NativeRead.elem(map, { handOverEntries: 7 })));
phase('batch', () => cursor(map.batches(64)), () => run(NativeRead.batch(map, 64, { handOverEntries: 64 })));
phase('fixed', () => cursor(new FixedCursor(map, 64, 4)), () => run(NativeRead.batch(map, 64, { fixedCursor: true, maxCalls: 4 })));
phase('grow', () => cursor(zero.batches(1, { onEnospc: 'grow' })), () => run(NativeRead.batch(zero, 1, { onEnospc: 'grow', handOverEntries: 1 })));
phase('strict', () => cursor(zero.batches(1)), () => run(NativeRead.batch(zero, 1)));
phase('elem-delete', () => {
  const e = map.elemReader();
  if (e.nextKey()) for (;;) { const more = e.nextKey(); e.takePrev(false); if (!more) break; }
  e.free();
}, () => run(NativeRead.elemDelete(map, { separate: false, handOverEntries: 7 })), () => fill(map, 300));
fill(map, 300);
phase('batch-delete', () => cursor(map.batches(32, { onEnospc: 'grow', deleting: true })), () => run(NativeRead.batch(map, 32, { onEnospc: 'grow', deleting: true })), () => fill(map, 300));
if (process.env.BPFBENCH_ITER === '1') {
const wide = make(800, { keySize: 16, valueSize: 12 });
const obj = BpfObject.open();
obj.configureMap(MAP_NAME, { maxEntries: 1 });
obj.autoloadOnly([ITER_PROG]);
configureIter(obj, wide);
obj.load();
const link = new MapIterLink(obj.programFd(ITER_PROG), wide);
for (const size of [50, 64 * 1024]) {
  const rec = wide.keySize + wide.valueStride;
  phase('iter-' + size, () => {
    const buf = new Uint8Array(Math.ceil((size + rec) / 8) * 8);
    const fd = link.open();
    let have = 0;
    for (;;) {
      const n = MapIterLink.read(fd, buf, have);
      if (n === 0) break;
      have += n;
      const used = Math.floor(have / rec) * rec;
      buf.copyWithin(0, used, have);
      have -= used;
    }
    MapIterLink.closeFd(fd);
  }, () => { const fd = link.open(); run(NativeRead.iter(wide, { readBuffer: size }), fd); MapIterLink.closeFd(fd); });
}
}
`;

/** The main thread's bpf(2) and read(2) calls between two markers, addresses blanked. */
function traced(log: string[], from: string, to: string): string[] {
  const start = log.findIndex((l) => l.includes(`/bpfbench-native-${from}"`));
  const end = log.findIndex((l) => l.includes(`/bpfbench-native-${to}"`));
  assert.ok(start >= 0 && end > start, `markers ${from}..${to}`);
  const tid = log[start]!.split(/\s+/)[0];
  return log
    .slice(start + 1, end)
    .filter((l) => l.startsWith(`${tid} `) && / (bpf|read)\(/.test(l))
    .map((l) => l.replace(/^\S+\s+/, '').replace(/0x[0-9a-f]+/g, 'ADDR'));
}

test('strace sees the same calls, attrs and read sizes from the native loop as from the JS loop (the iterator where this kernel loads it)', (t) => {
  if (!requireTool(t, 'strace', haveStrace ? undefined : 'not installed')) return;
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-native-strace-'));
  const logFile = join(dir, 'strace.log');
  const dist = new URL('../../../', import.meta.url).pathname;
  const r = spawnSync('strace', ['-f', '-qq', '-s', '0', '-o', logFile, '-e', 'trace=bpf,read,access,faccessat,faccessat2', process.execPath, '--input-type=module', '-e', STRACE_CHILD], {
    encoding: 'utf8',
    env: { ...process.env, BPFBENCH_DIST: dist, BPFBENCH_ITER: ITER ? '1' : '0' },
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const log = readFileSync(logFile, 'utf8').split('\n');
  const expect: Record<string, RegExp> = {
    elem: /^bpf\(BPF_MAP_GET_NEXT_KEY, \{map_fd=\d+, key=NULL, next_key=ADDR\}, 32\) = 0$/,
    batch: /^bpf\(BPF_MAP_LOOKUP_BATCH, \{batch=\{in_batch=NULL, .*count=64, /,
    fixed: /^bpf\(BPF_MAP_LOOKUP_BATCH, \{batch=\{in_batch=ADDR, .*count=64, /,
    grow: /^bpf\(BPF_MAP_LOOKUP_BATCH, \{batch=\{in_batch=NULL, .*count=1, /,
    strict: /^bpf\(BPF_MAP_LOOKUP_BATCH, \{batch=\{in_batch=NULL, .*count=1, /,
    'elem-delete': /^bpf\(BPF_MAP_GET_NEXT_KEY, \{map_fd=\d+, key=NULL/,
    'batch-delete': /^bpf\(BPF_MAP_LOOKUP_AND_DELETE_BATCH, \{batch=\{in_batch=NULL, .*count=32, /,
    ...(ITER ? { 'iter-50': /^bpf\(BPF_ITER_CREATE, /, 'iter-65536': /^bpf\(BPF_ITER_CREATE, / } : {}),
  };
  for (const [name, first] of Object.entries(expect)) {
    const js = traced(log, `${name}-js`, `${name}-mid`);
    const native = traced(log, `${name}-native`, `${name}-end`);
    assert.ok(js.length >= 2, `${name}: ${js.length} calls traced`);
    assert.match(js[0]!, first, name);
    assert.deepEqual(native, js, name);
    if (name === 'grow' || name === 'strict')
      assert.ok(
        js.some((l) => / = -1 ENOSPC/.test(l)),
        `${name}: an ENOSPC was traced`,
      );
    if (name === 'grow')
      assert.ok(
        js.some((l) => /count=2, /.test(l)),
        'grow: the chunk doubled',
      );
    if (name === 'iter-50')
      assert.ok(
        js.some((l) => /^read\(\d+, ""\.\.\., (\d+)\)/.exec(l)?.[1] !== '80' && l.startsWith('read(')),
        'reads shortened by a carried partial record',
      );
  }
});

test('the C loop checks the state it is handed: a zero or oversized key, a command that is not a batch read, a zero chunk are EINVAL, no syscall made', async () => {
  const koffi = (await import('koffi')).default;
  const lib = koffi.load(NATIVE_LIB);
  const table = lib.func('long bb_table(int i)') as (i: number) => number;
  const name = lib.func('const char *bb_table_name(int i)') as (i: number) => string | null;
  const step = lib.func('int bb_step(uintptr_t state)') as (s: number) => number;
  const at: Record<string, number> = {};
  for (let i = 0, n = name(0); n !== null; n = name(++i)) at[n] = table(i);
  const state = new NativeBlock(at['const.SIZE']!);
  try {
    const base = () => {
      state.zero();
      state.setU32(at['field.kind']!, at['const.KIND_BATCH']!);
      state.setU32(at['field.fd']!, 0xffff_ffff);
      state.setU32(at['field.key_size']!, 4);
      state.setU32(at['field.cursor_size']!, 4);
      state.setU32(at['field.cmd']!, 24);
      state.setU32(at['field.chunk']!, 16);
    };
    for (const [what, field, value] of [
      ['key_size 0', 'field.key_size', 0],
      ['key_size above KEY_MAX', 'field.key_size', at['const.KEY_MAX']! + 1],
      ['cursor_size above KEY_MAX', 'field.cursor_size', at['const.KEY_MAX']! + 1],
      ['a command that is not a batch read', 'field.cmd', 2],
      ['chunk 0', 'field.chunk', 0],
    ] as const) {
      base();
      state.setU32(at[field]!, value);
      assert.equal(step(state.addr), at['const.ST_ERROR'], what);
      assert.equal(state.getU32(at['field.err']!), 22, `${what}: EINVAL`);
      const calls = state.u32.subarray(at['field.calls']! / 4, at['field.calls']! / 4 + 2 * at['const.CMD_SLOTS']!);
      assert.ok(
        calls.every((c) => c === 0),
        `${what}: no call made`,
      );
    }
  } finally {
    state.free();
  }
});

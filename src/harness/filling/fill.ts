// Filling the map with keys 0..N-1 and one value, by one of three methods.
// The fill is timed and its bpf calls counted, but it is not part of the
// read comparison.
//
// The in-kernel fill ('prog') runs on every CPU, one stream of
// BPF_PROG_TEST_RUN calls per thread (fill-parallel.ts); UPDATE_BATCH and
// UPDATE_ELEM run from this thread (below).
import type { BpfMap } from '../../bpf/maps/map.js';
import { NativeBlock } from '../../bpf/syscall/native-block.js';
import { callsSince, snapshotCalls } from '../../bpf/syscall/syscall.js';
import { fillProg } from './fill-parallel.js';
import type { Pattern } from './pattern.js';
import type { Progress } from '../measuring/progress.js';

export const FILL_METHODS = ['prog', 'batch', 'elem'] as const;
export type FillMethod = (typeof FILL_METHODS)[number];

export interface FillResult {
  method: FillMethod;
  entries: number;
  wallNs: number;
  /** bpf calls by command: the sum of what each thread counted of its own calls. */
  bpfCalls: Record<string, number>;
  /** Threads that filled at once ('prog': one stream of calls each; 'batch' and 'elem': 1). */
  threads: number;
  /** bpf calls each of those threads counted itself (all commands). */
  callsByThread: number[];
}

/** Keys written per UPDATE_BATCH call (progress granularity). */
const BATCH_STEP = 1 << 16;

export interface FillTarget {
  map: BpfMap;
  entries: number;
  /** What to write for index i (keys and values of the map's shape). */
  pattern: Pattern;
  /** Needed for method 'prog': the loaded fill program's fd. */
  fillProgFd?: number;
  /** Threads for method 'prog' (default: fill-parallel.ts fillThreads(entries)). */
  threads?: number;
}

export function fillMap(method: FillMethod, t: FillTarget, progress: Progress): FillResult {
  const before = snapshotCalls();
  const t0 = process.hrtime.bigint();
  progress.start(`fill (${method})`, t.entries, 'entries');
  let callsByThread: number[];
  try {
    if (method === 'prog') callsByThread = fillProg(t, progress);
    else {
      if (method === 'batch') fillBatch(t, progress);
      else fillElem(t, progress);
      callsByThread = [Object.values(callsSince(before)).reduce((a, b) => a + b, 0)];
    }
  } finally {
    progress.end();
  }
  const wallNs = Number(process.hrtime.bigint() - t0);
  return { method, entries: t.entries, wallNs, bpfCalls: callsSince(before), threads: callsByThread.length, callsByThread };
}

// ---------------------------------------------------------------------------
// UPDATE_BATCH and UPDATE_ELEM, from this thread.

function fillBatch(t: FillTarget, progress: Progress): void {
  const { map, pattern } = t;
  const n = Math.min(BATCH_STEP, t.entries);
  const keySize = map.keySize;
  const stride = map.valueStride;
  const keys = new NativeBlock(n * keySize);
  const values = new NativeBlock(n * stride);
  const constant = pattern.shape.constant;
  const u32 = keySize === 4 && constant !== undefined;
  try {
    if (u32) values.u32.fill(constant >>> 0);
    for (let start = 0; start < t.entries; start += n) {
      const count = Math.min(n, t.entries - start);
      if (u32) {
        for (let i = 0; i < count; i++) keys.u32[i] = start + i;
      } else {
        for (let i = 0; i < count; i++) {
          pattern.writeKey(start + i, keys.bytes, i * keySize);
          pattern.writeValue(start + i, values.bytes, i * stride);
        }
      }
      map.updateBatch(keys.addr, values.addr, count);
      progress.update(start + count);
    }
  } finally {
    keys.free();
    values.free();
  }
}

function fillElem(t: FillTarget, progress: Progress): void {
  const { map, pattern } = t;
  const keySlot = Math.ceil(map.keySize / 8) * 8;
  const kv = new NativeBlock(keySlot + map.valueStride);
  try {
    for (let k = 0; k < t.entries; k++) {
      pattern.writeKey(k, kv.bytes, 0);
      pattern.writeValue(k, kv.bytes, keySlot);
      map.updateElem(kv.addr, kv.addr + keySlot);
      if ((k & 0xffff) === 0) progress.update(k);
    }
    progress.update(t.entries);
  } finally {
    kv.free();
  }
}

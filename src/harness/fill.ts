// Filling the map with keys 0..N-1 and one value, by one of three methods.
// The fill is timed and its bpf calls counted, but it is not part of the
// read comparison.
import { UpdateFlag } from '../bpf/constants.js';
import type { BpfMap } from '../bpf/map.js';
import { MapBatchAttr } from '../bpf/attr.js';
import { NativeBlock } from '../bpf/native.js';
import { FillProgram } from '../bpf/program.js';
import { callsSince, snapshotCalls } from '../bpf/syscall.js';
import type { Progress } from './progress.js';

export const FILL_METHODS = ['prog', 'batch', 'elem'] as const;
export type FillMethod = (typeof FILL_METHODS)[number];

export interface FillResult {
  method: FillMethod;
  entries: number;
  wallNs: number;
  bpfCalls: Record<string, number>;
}

/** Keys written per PROG_TEST_RUN / UPDATE_BATCH call (progress granularity). */
const STEP = 1 << 20;
const BATCH_STEP = 1 << 16;

export interface FillTarget {
  map: BpfMap;
  entries: number;
  value: number;
  /** Needed for method 'prog': the loaded fill program's fd. */
  fillProgFd?: number;
}

export function fillMap(method: FillMethod, t: FillTarget, progress: Progress): FillResult {
  const before = snapshotCalls();
  const t0 = process.hrtime.bigint();
  progress.start(`fill (${method})`, t.entries, 'entries');
  try {
    if (method === 'prog') fillProg(t, progress);
    else if (method === 'batch') fillBatch(t, progress);
    else fillElem(t, progress);
  } finally {
    progress.end();
  }
  return { method, entries: t.entries, wallNs: Number(process.hrtime.bigint() - t0), bpfCalls: callsSince(before) };
}

function fillProg(t: FillTarget, progress: Progress): void {
  if (t.fillProgFd === undefined) throw new Error('fill program not loaded');
  const prog = new FillProgram(t.fillProgFd);
  try {
    for (let start = 0; start < t.entries; start += STEP) {
      const count = Math.min(STEP, t.entries - start);
      prog.fill(start, count, t.value, UpdateFlag.ANY);
      progress.update(start + count);
    }
  } finally {
    prog.free();
  }
}

function fillBatch(t: FillTarget, progress: Progress): void {
  const { map } = t;
  const n = Math.min(BATCH_STEP, t.entries);
  const keys = new NativeBlock(n * map.keySize);
  const values = new NativeBlock(n * map.valueSize);
  const attr = new NativeBlock(MapBatchAttr.SIZE);
  try {
    values.u32.fill(t.value >>> 0);
    for (let start = 0; start < t.entries; start += n) {
      const count = Math.min(n, t.entries - start);
      for (let i = 0; i < count; i++) keys.u32[i] = start + i;
      map.updateBatch(keys.addr, values.addr, count, attr);
      progress.update(start + count);
    }
  } finally {
    keys.free();
    values.free();
    attr.free();
  }
}

function fillElem(t: FillTarget, progress: Progress): void {
  const { map } = t;
  const kv = new NativeBlock(16);
  const attr = new NativeBlock(MapBatchAttr.SIZE);
  try {
    kv.u32[2] = t.value >>> 0;
    for (let k = 0; k < t.entries; k++) {
      kv.u32[0] = k;
      map.updateElem(kv.addr, kv.addr + 8, attr);
      if ((k & 0xffff) === 0) progress.update(k);
    }
    progress.update(t.entries);
  } finally {
    kv.free();
    attr.free();
  }
}

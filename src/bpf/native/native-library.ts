// The native read loop's library (native/libbpfbench.so) as TypeScript sees
// it: struct bb_state's field offsets and the library's numbers, named once
// and checked against the library when it loads (bb_table); the load itself;
// and the shapes of a hand-over and of each kind's options. NativeRead
// (native-loop.ts) drives the walk.
import koffi from 'koffi';
import { UsageError } from '../../errors.js';
import { NATIVE_LIB } from '../../paths.js';
import { MapBatchAttr, MapElemAttr } from '../syscall/attr.js';
import { CMD_SLOTS } from '../syscall/constants.js';
import { type BatchCursorOptions, MAX_CHUNK } from '../maps/batch-cursor.js';
import { LAT_BUCKETS, LAT_SUB_BITS } from './latency.js';

/** struct bb_state: byte offset of every field. */
export const Field = {
  kind: 0,
  fd: 4,
  key_size: 8,
  value_stride: 12,
  cursor_size: 16,
  cmd: 20,
  fixed: 24,
  grow: 28,
  separate: 32,
  chunk: 36,
  record: 40,
  window: 44,
  max_steps: 48,
  keys: 56,
  values: 64,
  capacity: 72,
  phase: 80,
  retry: 84,
  steps: 88,
  have: 96,
  key: 104,
  in_batch: 616,
  out_batch: 1128,
  status: 1640,
  err: 1644,
  err_cmd: 1648,
  count: 1652,
  bytes: 1656,
  growths: 1664,
  calls: 1672,
  reads: 2184,
  lat_every: 2192,
  lat_countdown: 2196,
  lat_count: 2200,
  lat_sum: 2208,
  lat_max: 2216,
  lat_counts: 2224,
} as const;

/** The library's numbers: sizes, limits, kinds and statuses. */
export const Const = {
  SIZE: 2224 + 8 * LAT_BUCKETS,
  KEY_MAX: 512,
  CMD_SLOTS,
  MAX_CHUNK,
  LAT_SUB_BITS,
  LAT_BUCKETS,
  ELEM_ATTR_SIZE: MapElemAttr.SIZE,
  BATCH_ATTR_SIZE: MapBatchAttr.SIZE,
  CMD_READ: -1,
  KIND_ELEM: 1,
  KIND_ELEM_DELETE: 2,
  KIND_BATCH: 3,
  KIND_ITER: 4,
  ST_MORE: 1,
  ST_END: 2,
  ST_ERROR: 3,
  ST_MAP_CHANGED: 4,
  ST_NEED_BUFFER: 5,
} as const;

/** What a hand-over ended with (`needBuffer` never reaches callers: next() handles it). */
export const NativeStatus = { more: Const.ST_MORE, end: Const.ST_END, error: Const.ST_ERROR, mapChanged: Const.ST_MAP_CHANGED } as const;

export const NATIVE_NOT_BUILT = "the native read loop is not built (native/libbpfbench.so): run 'make', or use --loop js";

/** Entries a hand-over holds at most, and the bytes its buffers may take. */
export const HANDOVER_ENTRIES = 64 * 1024;
export const HANDOVER_BYTES = 8 * 1024 * 1024;
/** iter: read windows per hand-over. */
export const ITER_WINDOWS = 8;

type StepFn = (state: number) => number;
export interface Lib {
  step: StepFn;
  /** A step, then its entries folded into a native check (native/check.c). */
  stepCheck: (state: number, check: number) => number;
  reset: StepFn;
  /** Tests: the C loop's bucket of a duration, and a duration filed into a state's histogram. */
  latBucket: (ns: number) => number;
  latRecord: (state: number, ns: number) => void;
  /** BPFBENCH_INJECT_NS as the library read it (0: none). */
  injectNs: () => number;
}

let libPath = NATIVE_LIB;
export let lib: Lib | undefined;

/** The file the native loop loads (or would load). */
export const nativeLibPath = (): string => libPath;

/** Points the loader at another file (tests: a missing library); the next use loads it. */
export function setNativeLibPath(path: string): void {
  libPath = path;
  lib = undefined;
}

/**
 * Loads the library once and checks its layout; throws UsageError if it is
 * missing, will not load, or was built from another version of the struct.
 */
export function loadNativeLoop(): Lib {
  if (lib) return lib;
  let l: ReturnType<typeof koffi.load>;
  let table: (i: number) => number;
  let name: (i: number) => string | null;
  let loaded: Lib;
  try {
    l = koffi.load(libPath);
    table = l.func('long bb_table(int i)') as typeof table;
    name = l.func('const char *bb_table_name(int i)') as typeof name;
    loaded = {
      step: l.func('int bb_step(uintptr_t state)') as StepFn,
      stepCheck: l.func('int bb_step_check(uintptr_t state, uintptr_t check)') as Lib['stepCheck'],
      reset: l.func('void bb_reset(uintptr_t state)') as StepFn,
      latBucket: l.func('long bb_lat_bucket(uint64_t ns)') as Lib['latBucket'],
      latRecord: l.func('void bb_lat_record(uintptr_t state, uint64_t ns)') as Lib['latRecord'],
      injectNs: l.func('long bb_inject_ns(void)') as Lib['injectNs'],
    };
  } catch {
    throw new UsageError(NATIVE_NOT_BUILT);
  }
  const problems = layoutProblems(table, name, { field: Field, const: Const });
  if (problems.length) throw new UsageError(`the native read loop (native/libbpfbench.so) does not match this build (${problems.join(', ')}): run 'make'`);
  return (lib = loaded);
}

/**
 * The busy-wait the native loop adds after each syscall (BPFBENCH_INJECT_NS,
 * calibration only), as the library itself read it; 0 without it, null when
 * the library does not load.
 */
export function nativeInjectNs(): number | null {
  try {
    return Number(loadNativeLoop().injectNs());
  } catch {
    return null;
  }
}

/**
 * What differs between a C layout table (bb_*_table / bb_*_table_name, entries
 * named `prefix.name`) and the offsets and numbers TypeScript names: unknown,
 * different or missing entries, one phrase each. Shared by every native struct.
 */
export function layoutProblems(table: (i: number) => number, name: (i: number) => string | null, named: Record<string, Record<string, number>>): string[] {
  const want = new Map<string, number>();
  for (const [prefix, entries] of Object.entries(named)) for (const [k, v] of Object.entries(entries)) want.set(`${prefix}.${k}`, v);
  const problems: string[] = [];
  let i = 0;
  for (let n = name(0); n !== null; n = name(++i)) {
    const v = table(i);
    if (!want.has(n)) problems.push(`${n} unknown`);
    else if (want.get(n) !== v) problems.push(`${n} is ${v}, expected ${want.get(n)}`);
    want.delete(n);
  }
  for (const n of want.keys()) problems.push(`${n} missing`);
  return problems;
}

/** Tests: the C loop's histogram bucket of a duration (latency.ts bucketOf must agree). */
export function nativeLatencyBucket(ns: number): number {
  return loadNativeLoop().latBucket(ns);
}

/** One hand-over: views over the native buffers, reused (and re-pointed after a reallocation). */
export interface HandOver {
  /** NativeStatus: more, end, error or mapChanged (entries before a failure are valid). */
  status: number;
  /** Entries at the start of the buffers (iter: whole records at the start of `bytes`). */
  count: number;
  /** elem, elem-delete, batch: packed keys (key_size each) and values (valueStride each). */
  keyBytes: Uint8Array;
  valueBytes: Uint8Array;
  keysU32: Uint32Array;
  valuesI32: Int32Array;
  /** iter: the record buffer (key bytes then value bytes per record), as bytes, u32 and i32 words. */
  bytes: Uint8Array;
  words: Uint32Array;
  ints: Int32Array;
}

export interface HandOverOptions {
  /** Entries per hand-over at most (default 64Ki, fewer for wide entries; batch: rounded to a multiple of the chunk). */
  handOverEntries?: number;
  /**
   * Time one call in this many (latency.ts; 0: none). Default: samplingFor
   * the entries a call moves (elem kinds 1, batch the chunk; iter: every read).
   */
  latencyEvery?: number;
}

export interface NativeElemOptions extends HandOverOptions {
  /** Keys before the walk is called a changing map (default: max_entries, as the JS loops). */
  maxSteps?: number;
}

export interface NativeDrainOptions extends NativeElemOptions {
  /** LOOKUP_ELEM + DELETE_ELEM instead of LOOKUP_AND_DELETE_ELEM (kernels before 5.14). */
  separate: boolean;
}

export type NativeBatchOptions = BatchCursorOptions &
  HandOverOptions & {
    /** The published flawed loop: every call from the same zeroed cursor, `maxCalls` calls (src/bpf/maps/fixed-cursor.ts). */
    fixedCursor?: boolean;
  };

export interface NativeIterOptions extends Pick<HandOverOptions, 'latencyEvery'> {
  /** The JS loop's read buffer before the record it can carry (strategies/iter.ts ITER_BUFFER). */
  readBuffer?: number;
}

export type NativeKind = 'elem' | 'elem-delete' | 'batch' | 'iter';

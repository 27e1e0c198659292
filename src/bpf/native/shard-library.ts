// The sharded read's side of native/read-loop.c (bb_shard_*): struct
// bb_shard's field offsets and the library's numbers, checked when it loads;
// how a map's cursor splits into ranges; and one shard's native state, its
// buffers grown when its range holds more. NativeShardRead (native-shard.ts)
// runs them.
import koffi from 'koffi';
import { UsageError } from '../../errors.js';
import type { BpfMap } from '../maps/map.js';
import { nextPow2, traitsOf } from '../maps/map-types.js';
import { NativeBlock } from '../syscall/native-block.js';
import { layoutProblems, NATIVE_NOT_BUILT, nativeLibPath } from './native-library.js';

/** struct bb_shard: byte offset of every field (checked against bb_shard_table at load). */
export const Field = {
  fd: 0,
  cmd: 4,
  key_size: 8,
  value_stride: 12,
  by_key: 16,
  grow: 20,
  chunk: 24,
  start: 32,
  end: 40,
  max_calls: 48,
  keys: 56,
  values: 64,
  capacity: 72,
  phase: 80,
  retry: 84,
  next: 88,
  count: 96,
  last_at: 104,
  last_count: 112,
  calls: 120,
  growths: 128,
  ns: 136,
  status: 144,
  err: 148,
  in_batch: 152,
  out_batch: 156,
  check: 160,
  folded: 168,
  shared: 176,
} as const;
const Const = { SIZE: 184, MAX_THREADS: 256 } as const;
export const ST = { more: 1, end: 2, error: 3, mapChanged: 4, needBuffer: 5 } as const;

/** Threads a sharded read runs at most (the C loop's limit). */
export const MAX_SHARD_THREADS = Const.MAX_THREADS;

export interface ShardLib {
  run: (states: number, n: number) => number;
  reset: (state: number) => void;
}
export let lib: ShardLib | undefined;
let libFor: string | undefined;

/** Loads bb_shard_* from the native library once, its layout checked; a UsageError in one line otherwise. */
export function loadShardLoop(): ShardLib {
  const path = nativeLibPath();
  if (lib && libFor === path) return lib;
  let table: (i: number) => number;
  let name: (i: number) => string | null;
  let loaded: ShardLib;
  try {
    const l = koffi.load(path);
    table = l.func('long bb_shard_table(int i)') as typeof table;
    name = l.func('const char *bb_shard_table_name(int i)') as typeof name;
    loaded = { run: l.func('int bb_shard_run(uintptr_t states, int n)') as ShardLib['run'], reset: l.func('void bb_shard_reset(uintptr_t state)') as ShardLib['reset'] };
  } catch {
    throw new UsageError(NATIVE_NOT_BUILT);
  }
  const problems = layoutProblems(table, name, { field: Field, const: Const });
  if (problems.length) throw new UsageError(`the native read loop (native/libbpfbench.so) does not match this build (shard: ${problems.join(', ')}): run 'make'`);
  libFor = path;
  return (lib = loaded);
}

/** [start, end) of shard i of n over `total` (buckets or keys): the first total % n shards one longer. */
export function shardRange(total: number, n: number, i: number): [number, number] {
  const base = Math.floor(total / n);
  const extra = total % n;
  const start = i * base + Math.min(i, extra);
  return [start, start + base + (i < extra ? 1 : 0)];
}

/** What the cursor of a map's batch walk splits: hash buckets or array keys. */
export function shardSpace(map: Pick<BpfMap, 'info' | 'maxEntries'>): { byKey: boolean; total: number } {
  const byKey = traitsOf(map.info.type)?.batchCursor === 'key';
  return { byKey, total: byKey ? map.maxEntries : nextPow2(map.maxEntries) };
}

export interface ShardReadOptions {
  threads: number;
  chunk: number;
  deleting?: boolean;
  onEnospc?: 'grow' | 'fail';
  /** Entries a shard's buffers hold at first (default: its share of max_entries, an eighth more, and 2 chunks). */
  initialCapacity?: number;
}

/** One shard's buffers and views (re-pointed when they grow). */
export class Shard {
  readonly state = new NativeBlock(Const.SIZE);
  keys: NativeBlock | undefined;
  values: NativeBlock | undefined;
  keysU32: Uint32Array = new Uint32Array(0);
  valuesI32: Int32Array = new Int32Array(0);
  keyBytes: Uint8Array = new Uint8Array(0);
  valueBytes: Uint8Array = new Uint8Array(0);

  constructor(
    readonly keySize: number,
    readonly stride: number,
  ) {}

  u64(off: number): number {
    return this.state.getU64(off);
  }

  /** (Re)allocates for `capacity` entries, keeping the `keep` entries already read. */
  allocate(capacity: number, keep: number): void {
    const k = new NativeBlock(capacity * this.keySize);
    const v = new NativeBlock(capacity * this.stride);
    if (keep > 0) {
      k.bytes.set(this.keyBytes.subarray(0, keep * this.keySize));
      v.bytes.set(this.valueBytes.subarray(0, keep * this.stride));
    }
    this.keys?.free();
    this.values?.free();
    this.keys = k;
    this.values = v;
    this.keysU32 = k.u32;
    this.valuesI32 = v.i32;
    this.keyBytes = k.bytes;
    this.valueBytes = v.bytes;
    this.state.setU64(Field.keys, k.addr);
    this.state.setU64(Field.values, v.addr);
    this.state.setU64(Field.capacity, capacity);
  }

  free(): void {
    this.keys?.free();
    this.values?.free();
    this.state.free();
  }
}

/**
 * A sharded batch read of one map: run() reads it all, on `threads` threads;
 * then each shard's entries are in its buffers, `kept(i)` of them its own
 * (the overlap removed).
 */

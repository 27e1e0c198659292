// The sharded batch read in C (native/read-loop.c, bb_shard_*; issue 23):
// one LOOKUP_BATCH (or LOOKUP_AND_DELETE_BATCH) walk per range of the
// cursor, all ranges read at once, each on its own thread with its own
// buffers, joined before the one koffi call returns.
//
// Hash maps: the cursor is a bucket index, the ranges split
// roundup_pow_of_two(max_entries) buckets. A shard's last call returns
// whole buckets until its count is full, so it may hold entries of buckets
// past its range, which the next shards read too; `overlapOf` finds them
// exactly by comparing that call's keys with what the next shards read.
// Arrays: the cursor is a key, the ranges split the keys, and a shard never
// asks past its range (no overlap).
//
// Each shard's buffers hold its whole range: they start at its share of
// max_entries and an eighth more, and grow (ST_NEED_BUFFER) if a range
// holds more; later reads reuse them.
import koffi from 'koffi';
import { UsageError } from '../../errors.js';
import { Cmd, CMD_SLOTS } from '../syscall/constants.js';
import { BpfError, Errno } from '../syscall/bpf-errors.js';
import { ChunkTooSmallError, MAX_CHUNK } from '../maps/batch-cursor.js';
import type { BpfMap } from '../maps/map.js';
import { nextPow2, traitsOf } from '../maps/map-types.js';
import { NativeBlock } from '../syscall/native-block.js';
import { layoutProblems, NATIVE_NOT_BUILT, nativeLibPath } from './native-loop.js';
import { callCounts } from '../syscall/syscall.js';

/** struct bb_shard: byte offset of every field (checked against bb_shard_table at load). */
const Field = {
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
} as const;
const Const = { SIZE: 160, MAX_THREADS: 256 } as const;
const ST = { more: 1, end: 2, error: 3, mapChanged: 4, needBuffer: 5 } as const;

/** Threads a sharded read runs at most (the C loop's limit). */
export const MAX_SHARD_THREADS = Const.MAX_THREADS;

interface ShardLib {
  run: (states: number, n: number) => number;
  reset: (state: number) => void;
}
let lib: ShardLib | undefined;
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
class Shard {
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
    const u = this.state.u32;
    return u[off >> 2]! + u[(off >> 2) + 1]! * 0x1_0000_0000;
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
export class NativeShardRead {
  readonly threads: number;
  readonly byKey: boolean;
  readonly deleting: boolean;
  /** bpf(2) calls by command since reset, all shards. */
  readonly counts = new Float64Array(CMD_SLOTS);
  /** Per shard: entries kept (its range's), entries read, calls, its thread's ns, in the last read. */
  readonly keptCounts: Float64Array;
  readonly readCounts: Float64Array;
  readonly callsPerShard: Float64Array;
  readonly nsPerShard: Float64Array;
  /** The last read's overlap: entries read twice at a boundary and removed, and the calls that held them. */
  overlapEntries = 0;
  overlapCalls = 0;
  /** Entries of a straddling call that matched nothing the next shard read at the place expected (a map changing underneath). */
  overlapMismatches = 0;
  private readonly lib: ShardLib;
  private readonly shards: Shard[];
  private readonly addrs: NativeBlock;
  private readonly keySize: number;
  private readonly cmd: number;

  constructor(map: BpfMap, o: ShardReadOptions) {
    this.lib = loadShardLoop();
    const { byKey, total } = shardSpace(map);
    if (!Number.isInteger(o.threads) || o.threads < 1 || o.threads > MAX_SHARD_THREADS) throw new RangeError(`threads ${o.threads} is not 1..${MAX_SHARD_THREADS}`);
    if (!Number.isInteger(o.chunk) || o.chunk < 1 || o.chunk > MAX_CHUNK) throw new RangeError(`chunk ${o.chunk} is not 1..${MAX_CHUNK}`);
    this.threads = o.threads;
    this.byKey = byKey;
    this.deleting = o.deleting === true;
    this.keySize = map.keySize;
    this.cmd = this.deleting ? Cmd.MAP_LOOKUP_AND_DELETE_BATCH : Cmd.MAP_LOOKUP_BATCH;
    const n = o.threads;
    this.keptCounts = new Float64Array(n);
    this.readCounts = new Float64Array(n);
    this.callsPerShard = new Float64Array(n);
    this.nsPerShard = new Float64Array(n);
    this.addrs = new NativeBlock(8 * n);
    this.shards = [];
    try {
      for (let i = 0; i < n; i++) {
        const sh = new Shard(map.keySize, map.valueStride);
        this.shards.push(sh);
        const [start, end] = shardRange(total, n, i);
        const s = sh.state;
        s.setU32(Field.fd, map.fd);
        s.setU32(Field.cmd, this.cmd);
        s.setU32(Field.key_size, map.keySize);
        s.setU32(Field.value_stride, map.valueStride);
        s.setU32(Field.by_key, byKey ? 1 : 0);
        s.setU32(Field.grow, o.onEnospc === 'grow' ? 1 : 0);
        s.setU32(Field.chunk, o.chunk);
        s.setU64(Field.start, start);
        s.setU64(Field.end, end);
        // A correct walk makes at most one call per bucket (key) of its range, and the one that ends it.
        s.setU64(Field.max_calls, end - start + 2);
        // Its share of max_entries and an eighth more (the ranges differ by the hash), faulted in now (NativeBlock zeroes it), as the C peer does.
        const share = Math.ceil(map.maxEntries / n);
        sh.allocate(o.initialCapacity ?? share + Math.ceil(share / 8) + 2 * o.chunk, 0);
        this.addrs.setU64(8 * i, s.addr);
      }
    } catch (e) {
      this.free();
      throw e;
    }
    this.reset();
  }

  /** The chunk in use (the largest of the shards', larger than asked after growths). */
  get chunk(): number {
    let c = 0;
    for (const sh of this.shards) c = Math.max(c, sh.state.getU32(Field.chunk));
    return c;
  }
  get growths(): number {
    let g = 0;
    for (const sh of this.shards) g += sh.u64(Field.growths);
    return g;
  }

  reset(): void {
    for (const sh of this.shards) this.lib.reset(sh.state.addr);
    this.counts.fill(0);
  }

  /**
   * Reads the whole map on the shards' threads, joined; then removes the
   * overlap. Throws the error a shard ended with (after every shard
   * stopped). Allocates only when a shard's buffers grow.
   */
  run(): void {
    const n = this.threads;
    const shards = this.shards;
    for (;;) {
      this.lib.run(this.addrs.addr, n);
      let grew = false;
      for (let i = 0; i < n; i++) {
        const sh = shards[i]!;
        if (sh.state.getU32(Field.status) !== ST.needBuffer) continue;
        const have = sh.u64(Field.count);
        const cap = sh.u64(Field.capacity);
        const chunk = sh.state.getU32(Field.chunk);
        sh.allocate(Math.max(cap * 2, have + 2 * chunk), have);
        grew = true;
      }
      if (!grew) break;
    }
    let calls = 0;
    for (let i = 0; i < n; i++) {
      const sh = shards[i]!;
      const c = sh.u64(Field.calls);
      this.callsPerShard[i] = c;
      this.readCounts[i] = sh.u64(Field.count);
      this.nsPerShard[i] = sh.u64(Field.ns);
      calls += c;
    }
    callCounts[this.cmd] += calls;
    this.counts[this.cmd] += calls;
    for (let i = 0; i < n; i++) {
      const sh = shards[i]!;
      const st = sh.state.getU32(Field.status);
      if (st === ST.error) {
        const errno = sh.state.i32[Field.err >> 2]!;
        if (errno === Errno.ENOSPC) throw new ChunkTooSmallError(sh.state.getU32(Field.chunk));
        throw new BpfError(this.cmd, errno);
      }
      if (st === ST.mapChanged) throw new BpfError(this.cmd, Errno.ELOOP, `shard ${i + 1}/${n}: no end after ${this.callsPerShard[i]} calls: the map is changing underneath`);
    }
    this.removeOverlap();
  }

  /**
   * Per boundary, from the last shard back: the entries of shard i's last
   * call that the shards after it read too. Calls return buckets in order,
   * so those are a tail of the call, starting where the first entry the
   * next shards kept appears in it (the first of their first 16 found: a
   * key deleted between the two reads is then skipped). A drain needs
   * none: an entry deleted by one shard cannot be read by another.
   */
  private removeOverlap(): void {
    const n = this.threads;
    const shards = this.shards;
    this.overlapEntries = 0;
    this.overlapCalls = 0;
    this.overlapMismatches = 0;
    this.keptCounts[n - 1] = this.readCounts[n - 1]!;
    for (let i = n - 2; i >= 0; i--) {
      const sh = shards[i]!;
      const count = this.readCounts[i]!;
      this.keptCounts[i] = count;
      if (this.deleting || this.byKey) continue;
      const lastAt = sh.u64(Field.last_at);
      const lastCount = sh.u64(Field.last_count);
      if (lastCount === 0) continue;
      // The first key the next shards kept (up to 16 of them), searched for in the last call.
      let p = -1;
      let q = 0;
      for (let j = i + 1; j < n && q < 16 && p < 0; j++) {
        const kj = this.keptCounts[j]!;
        for (let e = 0; e < kj && q < 16; e++, q++) {
          const at = this.find(sh, lastAt, lastCount, shards[j]!, e);
          if (at >= 0) {
            p = at;
            break;
          }
        }
      }
      if (p < 0) continue;
      const overlap = lastAt + lastCount - p;
      this.keptCounts[i] = p;
      this.overlapEntries += overlap;
      this.overlapCalls++;
      this.overlapMismatches += this.mismatches(sh, p, overlap, i + 1);
    }
  }

  /** Where in sh's entries [from, from + len) the key of `other`'s entry e is, or -1. */
  private find(sh: Shard, from: number, len: number, other: Shard, e: number): number {
    const ks = this.keySize;
    if (ks === 4) {
      const key = other.keysU32[e]!;
      const keys = sh.keysU32;
      for (let x = from, end = from + len; x < end; x++) if (keys[x] === key) return x;
      return -1;
    }
    const a = sh.keyBytes;
    const b = other.keyBytes;
    const bo = e * ks;
    outer: for (let x = from, end = from + len; x < end; x++) {
      const ao = x * ks;
      for (let y = 0; y < ks; y++) if (a[ao + y] !== b[bo + y]) continue outer;
      return x;
    }
    return -1;
  }

  /** Of the overlap [p, p + len) of sh, the entries that differ from the next shards' kept entries in order. */
  private mismatches(sh: Shard, p: number, len: number, next: number): number {
    const ks = this.keySize;
    let bad = 0;
    let j = next;
    let e = 0;
    for (let x = p; x < p + len; x++) {
      while (j < this.threads && e >= this.keptCounts[j]!) {
        j++;
        e = 0;
      }
      if (j >= this.threads) return bad + (p + len - x);
      const other = this.shards[j]!;
      let same = true;
      for (let y = 0; y < ks && same; y++) same = sh.keyBytes[x * ks + y] === other.keyBytes[e * ks + y];
      if (!same) bad++;
      e++;
    }
    return bad;
  }

  /** Shard i's buffers (its first keptCounts[i] entries are its own). */
  shard(i: number): Pick<Shard, 'keysU32' | 'valuesI32' | 'keyBytes' | 'valueBytes' | 'keys' | 'values'> {
    return this.shards[i]!;
  }

  free(): void {
    for (const sh of this.shards) sh.free();
    this.shards.length = 0;
    this.addrs.free();
  }
}

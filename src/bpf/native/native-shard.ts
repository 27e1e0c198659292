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
// Given the verifier's native check, each shard verifies on its own thread
// (into a NativeCheckPart, the bitmap of keys seen shared and set
// atomically): once its walk ends, the entries of every call but its last
// are folded on its thread; after the join, each last call's kept entries
// are folded here and the parts added to the check.
//
// Each shard's buffers hold its whole range: they start at its share of
// max_entries and an eighth more, and grow (ST_NEED_BUFFER) if a range
// holds more; later reads reuse them.
import { Cmd, CMD_SLOTS } from '../syscall/constants.js';
import { BpfError, Errno } from '../syscall/bpf-errors.js';
import { ChunkTooSmallError, MAX_CHUNK } from '../maps/batch-cursor.js';
import type { BpfMap } from '../maps/map.js';
import { InvariantError } from '../../errors.js';
import { NativeBlock } from '../syscall/native-block.js';
import { type NativeCheck, NativeCheckPart } from './native-check.js';
import { callCounts } from '../syscall/syscall.js';
import { Field, ST, MAX_SHARD_THREADS, type ShardLib, loadShardLoop, shardRange, shardSpace, type ShardReadOptions, Shard } from './shard-library.js';

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
  /** Per shard: entries verified on its own thread in the last read (all but its last call's; 0 without a check). */
  readonly foldedPerShard: Float64Array;
  /** The last read's overlap: entries read twice at a boundary and removed, and the calls that held them. */
  overlapEntries = 0;
  overlapCalls = 0;
  /** Entries of a straddling call that matched nothing the next shard read at the place expected (a map changing underneath). */
  overlapMismatches = 0;
  private readonly lib: ShardLib;
  private readonly shards: Shard[];
  /** Each shard's share of a check, made here so that no read allocates them. */
  private readonly parts: NativeCheckPart[] = [];
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
    this.foldedPerShard = new Float64Array(n);
    this.addrs = new NativeBlock(8 * n);
    this.shards = [];
    try {
      for (let i = 0; i < n; i++) {
        const sh = new Shard(map.keySize, map.valueStride);
        this.shards.push(sh);
        this.parts.push(new NativeCheckPart());
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
   * overlap. Given `check`, every entry kept is folded into it, most on the
   * shards' threads. Throws the error a shard ended with (after every shard
   * stopped). Allocates only when a shard's buffers grow.
   */
  run(check?: NativeCheck): void {
    const n = this.threads;
    const shards = this.shards;
    for (let i = 0; i < n; i++) {
      const part = check ? this.parts[i]! : undefined;
      part?.begin(check!);
      shards[i]!.state.setU64(Field.check, part?.addr ?? 0);
    }
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
    this.foldedPerShard.fill(0);
    if (check) {
      // Each shard's last call, as far as it is the shard's own (folded ≤ its start ≤ kept), then the parts in shard order.
      for (let i = 0; i < n; i++) {
        const sh = shards[i]!;
        const folded = sh.u64(Field.folded);
        const kept = this.keptCounts[i]!;
        this.foldedPerShard[i] = folded;
        if (folded > kept) throw new InvariantError(`shard ${i + 1}/${n}: ${folded} entries verified on its thread, but only ${kept} are its own`);
        this.parts[i]!.foldFrom(sh.keys!, sh.values!, folded, kept - folded);
        this.parts[i]!.mergeInto(check);
      }
    }
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
    for (const p of this.parts) p.free();
    this.parts.length = 0;
    for (const sh of this.shards) sh.free();
    this.shards.length = 0;
    this.addrs.free();
  }
}

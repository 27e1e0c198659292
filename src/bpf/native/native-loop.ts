// The native read loop (native/read-loop.c, built by `make`): the same bpf(2)
// walks as ElemReader / BatchCursor and the strategies' loops, run in C,
// with ONE koffi call per hand-over of up to 64Ki entries instead of one per
// syscall, so that a measurement times the kernel rather than the crossing.
//
// The walk's state is one struct bb_state in a NativeBlock allocated here;
// its field offsets are named once (native-library.ts) and checked against the library at
// load time (bb_table), so the two cannot drift. The C loop counts its calls
// by command; after every hand-over they are added to syscall.ts's
// callCounts, so the self-count covers both loops. It also times its calls
// into the state's latency histogram (src/bpf/native/latency.ts), read out after
// the read (addTo).
import { InvariantError, UsageError } from '../../errors.js';
import { CMD_SLOTS, Cmd } from '../syscall/constants.js';
import { BpfError, Errno, errnoName } from '../syscall/bpf-errors.js';
import { ChunkTooSmallError, MAX_CHUNK } from '../maps/batch-cursor.js';
import type { BpfMap } from '../maps/map.js';
import { nextPow2, traitsOf } from '../maps/map-types.js';
import { LAT_BUCKETS, type LatencyHistogram, type LatencySource, samplingFor } from './latency.js';
import { NativeBlock } from '../syscall/native-block.js';
import type { NativeCheck } from './native-check.js';
import { callCounts } from '../syscall/syscall.js';
import {
  Field,
  Const,
  HANDOVER_ENTRIES,
  HANDOVER_BYTES,
  ITER_WINDOWS,
  type Lib,
  loadNativeLoop,
  type HandOver,
  type HandOverOptions,
  type NativeElemOptions,
  type NativeDrainOptions,
  type NativeBatchOptions,
  type NativeIterOptions,
  type NativeKind,
} from './native-library.js';

const u64At = (u32: Uint32Array, off: number) => u32[off >> 2]! + u32[(off >> 2) + 1]! * 0x1_0000_0000;

/** Entries a hand-over buffer holds: a multiple of `chunk`, at least `chunk`. */
function capacityFor(entryBytes: number, chunk: number, entries = HANDOVER_ENTRIES): number {
  const target = Math.max(1, Math.min(entries, Math.floor(HANDOVER_BYTES / Math.max(1, entryBytes))));
  return Math.max(chunk, Math.floor(target / chunk) * chunk);
}

export class NativeRead implements LatencySource {
  readonly kind: NativeKind;
  /** One call in how many is timed (0: none). */
  readonly sampledEvery: number;
  /** The reused result of next(). */
  readonly handOver: HandOver;
  /** bpf(2) calls by command number since reset(), as the C loop counted them. */
  readonly counts = new Float64Array(CMD_SLOTS);
  /** read(2) calls since reset() (iter). */
  reads = 0;
  private readonly lib: Lib;
  private readonly state: NativeBlock;
  private readonly addr: number;
  private readonly keySize: number;
  private readonly stride: number;
  private readonly record: number;
  private readonly handOverEntries: number | undefined;
  private keys: NativeBlock | undefined;
  private values: NativeBlock | undefined;

  private constructor(kind: NativeKind, map: BpfMap, o: HandOverOptions, entriesPerCall: number, set: (s: NativeBlock) => number) {
    this.lib = loadNativeLoop();
    if (map.keySize > Const.KEY_MAX) throw new UsageError(`the native read loop takes keys of up to ${Const.KEY_MAX} bytes; this map's are ${map.keySize}`);
    const every = o.latencyEvery ?? samplingFor(entriesPerCall);
    if (!Number.isInteger(every) || every < 0 || every > 0xffff_ffff) throw new RangeError(`latencyEvery ${every} is not a count`);
    this.sampledEvery = every;
    this.kind = kind;
    this.keySize = map.keySize;
    this.stride = map.valueStride;
    this.record = map.keySize + map.valueStride;
    this.handOverEntries = o.handOverEntries;
    const empty = new Uint8Array(0);
    this.handOver = {
      status: 0,
      count: 0,
      keyBytes: empty,
      valueBytes: empty,
      keysU32: new Uint32Array(0),
      valuesI32: new Int32Array(0),
      bytes: empty,
      words: new Uint32Array(0),
      ints: new Int32Array(0),
    };
    const s = (this.state = new NativeBlock(Const.SIZE));
    this.addr = s.addr;
    s.setU32(Field.fd, map.fd);
    s.setU32(Field.key_size, map.keySize);
    s.setU32(Field.value_stride, map.valueStride);
    s.setU32(Field.record, this.record);
    s.setU32(Field.lat_every, every);
    try {
      this.allocate(set(s));
    } catch (e) {
      this.free();
      throw e;
    }
    this.reset();
  }

  /** GET_NEXT_KEY + LOOKUP_ELEM (strategies/elem.ts). */
  static elem(map: BpfMap, o: NativeElemOptions = {}): NativeRead {
    return new NativeRead('elem', map, o, 1, (s) => {
      s.setU32(Field.kind, Const.KIND_ELEM);
      s.setU64(Field.max_steps, o.maxSteps ?? map.maxEntries);
      return capacityFor(map.keySize + map.valueStride, 1, o.handOverEntries);
    });
  }

  /** GET_NEXT_KEY + LOOKUP_AND_DELETE_ELEM, or LOOKUP_ELEM + DELETE_ELEM (strategies/drain.ts elem-delete). */
  static elemDelete(map: BpfMap, o: NativeDrainOptions): NativeRead {
    return new NativeRead('elem-delete', map, o, 1, (s) => {
      s.setU32(Field.kind, Const.KIND_ELEM_DELETE);
      s.setU32(Field.separate, o.separate ? 1 : 0);
      s.setU64(Field.max_steps, o.maxSteps ?? map.maxEntries);
      return capacityFor(map.keySize + map.valueStride, 1, o.handOverEntries);
    });
  }

  /** LOOKUP_BATCH / LOOKUP_AND_DELETE_BATCH with `chunk`, as BatchCursor with the same options. */
  static batch(map: BpfMap, chunk: number, o: NativeBatchOptions = {}): NativeRead {
    if (!Number.isInteger(chunk) || chunk < 1 || chunk > MAX_CHUNK) throw new RangeError(`chunk ${chunk} is not 1..${MAX_CHUNK}`);
    return new NativeRead('batch', map, o, chunk, (s) => {
      const hash = traitsOf(map.info.type)?.batchCursor === 'bucket';
      s.setU32(Field.kind, Const.KIND_BATCH);
      s.setU32(Field.cmd, o.deleting ? Cmd.MAP_LOOKUP_AND_DELETE_BATCH : Cmd.MAP_LOOKUP_BATCH);
      s.setU32(Field.cursor_size, hash ? 4 : map.keySize);
      s.setU32(Field.fixed, o.fixedCursor ? 1 : 0);
      s.setU32(Field.grow, o.onEnospc === 'grow' ? 1 : 0);
      s.setU32(Field.chunk, chunk);
      s.setU64(Field.max_steps, o.maxCalls ?? (hash ? nextPow2(map.maxEntries) : map.maxEntries) + 2);
      return capacityFor(map.keySize + map.valueStride, chunk, o.handOverEntries);
    });
  }

  /** read(2) of a map iterator's fd (strategies/iter.ts); reset(fd) before each pass. */
  static iter(map: BpfMap, o: NativeIterOptions = {}): NativeRead {
    // A read(2) moves a whole window of records: every one is timed.
    return new NativeRead('iter', map, { latencyEvery: o.latencyEvery ?? 1 }, Infinity, (s) => {
      const rec = map.keySize + map.valueStride;
      const window = Math.ceil(((o.readBuffer ?? 64 * 1024) + rec) / 8) * 8;
      s.setU32(Field.kind, Const.KIND_ITER);
      s.setU32(Field.window, window);
      s.setU32(Field.fd, -1 >>> 0);
      return window * ITER_WINDOWS;
    });
  }

  /** (Re)allocates the buffers for `capacity` entries (iter: bytes) and points the state at them. */
  private allocate(capacity: number): void {
    const h = this.handOver;
    const s = this.state;
    this.keys?.free();
    this.values?.free();
    this.values = undefined;
    if (this.kind === 'iter') {
      const b = (this.keys = new NativeBlock(capacity));
      h.bytes = b.bytes;
      h.words = b.u32;
      h.ints = b.i32;
    } else {
      const k = (this.keys = new NativeBlock(capacity * this.keySize));
      const v = (this.values = new NativeBlock(capacity * this.stride));
      h.keyBytes = k.bytes;
      h.keysU32 = k.u32;
      h.valueBytes = v.bytes;
      h.valuesI32 = v.i32;
      s.setU64(Field.values, v.addr);
    }
    s.setU64(Field.keys, this.keys.addr);
    s.setU64(Field.capacity, capacity);
  }

  /**
   * Adds the call latencies timed since reset() (the last read) to `h`.
   * Reads the state; call it after the read, not inside its timed window.
   */
  addTo(h: LatencyHistogram): void {
    const u32 = this.state.u32;
    const counts = h.counts;
    for (let i = 0, at = Field.lat_counts >> 2; i < LAT_BUCKETS; i++, at += 2) {
      const lo = u32[at]!;
      const hi = u32[at + 1]!;
      if (lo !== 0 || hi !== 0) counts[i] += lo + hi * 0x1_0000_0000;
    }
    h.addTotals(u64At(u32, Field.lat_count), u64At(u32, Field.lat_sum), u64At(u32, Field.lat_max), this.sampledEvery);
  }

  /** Tests: files a duration into the histogram as a timed call would (the C loop's own bucketing). */
  recordLatency(ns: number): void {
    this.lib.latRecord(this.addr, ns);
  }

  /** Starts a new walk from the beginning; iter: of the iterator fd `fd` (a fresh BPF_ITER_CREATE). */
  reset(fd?: number): void {
    if (fd !== undefined) this.state.setU32(Field.fd, fd >>> 0);
    this.lib.reset(this.addr);
    this.counts.fill(0);
    this.reads = 0;
  }

  /**
   * Runs the walk in C until the buffers are full or it ends, and returns
   * the reused hand-over. With a check, C also folds the hand-over's entries
   * into it (the verifier's proofs, made while they are in cache). Allocates nothing, except when an ENOSPC growth
   * outgrew the buffers (then they are reallocated and the walk resumes).
   */
  next(check?: NativeCheck): HandOver {
    let st = check ? this.lib.stepCheck(this.addr, check.addr) : this.lib.step(this.addr);
    while (st === Const.ST_NEED_BUFFER) {
      this.addCounts();
      this.allocate(capacityFor(this.keySize + this.stride, this.chunk, this.handOverEntries));
      st = check ? this.lib.stepCheck(this.addr, check.addr) : this.lib.step(this.addr);
    }
    this.addCounts();
    const h = this.handOver;
    h.status = st;
    h.count = this.state.u32[Field.count >> 2]!;
    return h;
  }

  /** Adds the step's counted calls to the process's self-count and to `counts`. */
  private addCounts(): void {
    const u32 = this.state.u32;
    for (let i = 0, at = Field.calls >> 2; i < CMD_SLOTS; i++, at += 2) {
      const lo = u32[at]!;
      const hi = u32[at + 1]!;
      if (lo === 0 && hi === 0) continue;
      const n = lo + hi * 0x1_0000_0000;
      callCounts[i] += n;
      this.counts[i] += n;
    }
    this.reads += u64At(u32, Field.reads);
  }

  /** elem kinds: keys stepped since reset(); batch: calls made since reset(). */
  get steps(): number {
    return u64At(this.state.u32, Field.steps);
  }
  /** batch: the chunk in use (larger than asked after growths). */
  get chunk(): number {
    return this.state.getU32(Field.chunk);
  }
  /** batch: times ENOSPC doubled the chunk since this read was made. */
  get growths(): number {
    return u64At(this.state.u32, Field.growths);
  }
  /** Bytes of a key, and of a value in user space: what a check's shape must match. */
  get entryShape(): { keySize: number; valueStride: number } {
    return { keySize: this.keySize, valueStride: this.stride };
  }
  /** iter: bytes in the buffer at the end of the last hand-over (a partial record included). */
  get bytes(): number {
    return u64At(this.state.u32, Field.bytes);
  }

  /**
   * The error the JS loop would have thrown where the last hand-over
   * stopped, or undefined. elem kinds' "map changed" comes from `mapChanged`
   * (the strategies' MapChangedError).
   */
  failure(mapChanged?: (steps: number) => Error): Error | undefined {
    const st = this.handOver.status;
    if (st === Const.ST_ERROR) {
      const errno = this.state.i32[Field.err >> 2]!;
      const cmd = this.state.i32[Field.err_cmd >> 2]!;
      if (this.kind === 'batch' && errno === Errno.ENOSPC) return new ChunkTooSmallError(this.chunk);
      if (cmd === Const.CMD_READ) return new Error(`read of the map iterator failed: ${errnoName(errno)}`);
      return new BpfError(cmd, errno);
    }
    if (st === Const.ST_MAP_CHANGED) {
      if (this.kind === 'batch') return new BpfError(Cmd.MAP_LOOKUP_BATCH, Errno.ELOOP, `no end after ${this.steps} calls: the map is changing underneath`);
      const steps = this.steps;
      return mapChanged ? mapChanged(steps) : new BpfError('GET_NEXT_KEY', 0, `no end after ${steps} keys, more than max_entries: the map is changing underneath`);
    }
    if (st === Const.ST_END && this.kind === 'iter') {
      const tail = this.bytes - this.handOver.count * this.record;
      if (tail !== 0) return new InvariantError(`the iterator ended inside a record (${tail} of ${this.record} bytes)`);
    }
    return undefined;
  }

  free(): void {
    this.keys?.free();
    this.values?.free();
    this.state.free();
  }
}

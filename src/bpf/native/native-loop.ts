// The native read loop (native/read-loop.c, built by `make`): the same bpf(2)
// walks as ElemReader / BatchCursor and the strategies' loops, run in C,
// with ONE koffi call per hand-over of up to 64Ki entries instead of one per
// syscall, so that a measurement times the kernel rather than the crossing.
//
// The walk's state is one struct bb_state in a NativeBlock allocated here;
// its field offsets are named once below and checked against the library at
// load time (bb_table), so the two cannot drift. The C loop counts its calls
// by command; after every hand-over they are added to syscall.ts's
// callCounts, so the self-count covers both loops. It also times its calls
// into the state's latency histogram (src/bpf/native/latency.ts), read out after
// the read (addTo).
import koffi from 'koffi';
import { InvariantError, UsageError } from '../../errors.js';
import { NATIVE_LIB } from '../../paths.js';
import { MapBatchAttr, MapElemAttr } from '../syscall/attr.js';
import { CMD_SLOTS, Cmd } from '../syscall/constants.js';
import { BpfError, Errno, errnoName } from '../syscall/bpf-errors.js';
import { type BatchCursorOptions, ChunkTooSmallError, MAX_CHUNK } from '../maps/batch-cursor.js';
import type { BpfMap } from '../maps/map.js';
import { nextPow2, traitsOf } from '../maps/map-types.js';
import { LAT_BUCKETS, LAT_SUB_BITS, type LatencyHistogram, type LatencySource, samplingFor } from './latency.js';
import { NativeBlock } from '../syscall/native-block.js';
import type { NativeCheck } from './native-check.js';
import { callCounts } from '../syscall/syscall.js';

/** struct bb_state: byte offset of every field. */
const Field = {
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
const Const = {
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
const HANDOVER_ENTRIES = 64 * 1024;
const HANDOVER_BYTES = 8 * 1024 * 1024;
/** iter: read windows per hand-over. */
const ITER_WINDOWS = 8;

type StepFn = (state: number) => number;
interface Lib {
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
let lib: Lib | undefined;

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

// BpfMap: a BPF map held by fd, with the read paths bpfbench measures.
//
// Reads never hand out raw kernel cursors: per-element reading goes through
// an ElemReader (GET_NEXT_KEY + LOOKUP_ELEM over fixed native buffers),
// batch reading through a BatchCursor, an iterator over batches that ends at
// ENOENT after delivering the last (possibly partial) batch. Both allocate
// their native memory once; their steps allocate nothing.
import { readFileSync } from 'node:fs';
import { InfoAttr, MapBatchAttr, MapCreateAttr, MapElemAttr, MapInfo, GetFdByIdAttr, ObjAttr, ATTR_BLOCK } from './attr.js';
import { Cmd, MapType, mapTypeName } from './constants.js';
import { BpfError, Errno } from './errors.js';
import { possibleCpus } from './cpus.js';
import { NativeBlock } from './native.js';
import { bpf, bpfOrThrow, closeFd } from './syscall.js';

export interface MapSpec {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  name?: string;
}

export interface MapInfoData {
  type: number;
  typeName: string;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
}

const ENOENT = Errno.ENOENT;
const ENOSPC = Errno.ENOSPC;

/** LOOKUP_BATCH could not fit the next bucket into the chunk (nothing was copied). */
export class ChunkTooSmallError extends BpfError {
  readonly chunk: number;
  constructor(chunk: number) {
    super(Cmd.MAP_LOOKUP_BATCH, ENOSPC, `the next hash bucket holds more than --chunk ${chunk} entries`);
    this.chunk = chunk;
  }
}

export function isArrayType(type: number): boolean {
  return type === MapType.array || type === MapType.percpu_array;
}

export function isPerCpuType(type: number): boolean {
  return type === MapType.percpu_hash || type === MapType.lru_percpu_hash || type === MapType.percpu_array;
}

export function isHashType(type: number): boolean {
  return type === MapType.hash || type === MapType.percpu_hash || type === MapType.lru_hash || type === MapType.lru_percpu_hash;
}

export class BpfMap {
  readonly fd: number;
  readonly info: MapInfoData;
  private owned: boolean;
  /** Attr memory for the occasional update (fills, config writes), allocated on first use. */
  private scratch: NativeBlock | undefined;

  private constructor(fd: number, info: MapInfoData, owned: boolean) {
    this.fd = fd;
    this.info = info;
    this.owned = owned;
  }

  /** BPF_MAP_CREATE. */
  static create(spec: MapSpec): BpfMap {
    const attr = new NativeBlock(ATTR_BLOCK);
    try {
      attr.setU32(MapCreateAttr.map_type, spec.type);
      attr.setU32(MapCreateAttr.key_size, spec.keySize);
      attr.setU32(MapCreateAttr.value_size, spec.valueSize);
      attr.setU32(MapCreateAttr.max_entries, spec.maxEntries);
      attr.setU32(MapCreateAttr.map_flags, spec.flags ?? 0);
      if (spec.name) attr.setCString(MapCreateAttr.map_name, spec.name.slice(0, 15));
      const fd = bpfOrThrow(Cmd.MAP_CREATE, attr.addr, MapCreateAttr.SIZE, `${mapTypeName(spec.type)} ${spec.keySize}/${spec.valueSize} x ${spec.maxEntries}`);
      return BpfMap.fromFd(fd, true);
    } finally {
      attr.free();
    }
  }

  /** Wraps an fd (from libbpf, or our own create). `owned` maps close the fd on close(). */
  static fromFd(fd: number, owned: boolean): BpfMap {
    return new BpfMap(fd, BpfMap.infoOf(fd), owned);
  }

  /** BPF_MAP_GET_FD_BY_ID: open a map another process created. */
  static openById(id: number): BpfMap {
    const attr = new NativeBlock(ATTR_BLOCK);
    try {
      attr.setU32(GetFdByIdAttr.id, id);
      const fd = bpfOrThrow(Cmd.MAP_GET_FD_BY_ID, attr.addr, GetFdByIdAttr.SIZE, `map id ${id}`);
      return BpfMap.fromFd(fd, true);
    } finally {
      attr.free();
    }
  }

  /** BPF_OBJ_GET: open a pinned map. */
  static openPinned(path: string): BpfMap {
    const attr = new NativeBlock(ATTR_BLOCK + path.length + 1);
    try {
      const p = attr.setCString(ATTR_BLOCK, path);
      attr.setU64(ObjAttr.pathname, p);
      const fd = bpfOrThrow(Cmd.OBJ_GET, attr.addr, ObjAttr.SIZE, path);
      return BpfMap.fromFd(fd, true);
    } finally {
      attr.free();
    }
  }

  /** BPF_OBJ_PIN this map at a bpffs path. */
  pin(path: string): void {
    const attr = new NativeBlock(ATTR_BLOCK + path.length + 1);
    try {
      const p = attr.setCString(ATTR_BLOCK, path);
      attr.setU64(ObjAttr.pathname, p);
      attr.setU32(ObjAttr.bpf_fd, this.fd);
      bpfOrThrow(Cmd.OBJ_PIN, attr.addr, ObjAttr.SIZE, path);
    } finally {
      attr.free();
    }
  }

  /** BPF_OBJ_GET_INFO_BY_FD for a map fd. */
  static infoOf(fd: number): MapInfoData {
    const mem = new NativeBlock(ATTR_BLOCK + MapInfo.SIZE);
    try {
      const infoAddr = mem.addr + ATTR_BLOCK;
      mem.setU32(InfoAttr.bpf_fd, fd);
      mem.setU32(InfoAttr.info_len, MapInfo.SIZE);
      mem.setU64(InfoAttr.info, infoAddr);
      bpfOrThrow(Cmd.OBJ_GET_INFO_BY_FD, mem.addr, InfoAttr.SIZE, `fd ${fd}`);
      const at = (off: number) => mem.getU32(ATTR_BLOCK + off);
      const type = at(MapInfo.type);
      return {
        type,
        typeName: mapTypeName(type),
        id: at(MapInfo.id),
        keySize: at(MapInfo.key_size),
        valueSize: at(MapInfo.value_size),
        maxEntries: at(MapInfo.max_entries),
        flags: at(MapInfo.map_flags),
        name: mem.getCString(ATTR_BLOCK + MapInfo.name, 16),
      };
    } finally {
      mem.free();
    }
  }

  get keySize(): number {
    return this.info.keySize;
  }
  get valueSize(): number {
    return this.info.valueSize;
  }
  get maxEntries(): number {
    return this.info.maxEntries;
  }

  /** Per-CPU map: each key holds one value per possible CPU. */
  get perCpu(): boolean {
    return isPerCpuType(this.info.type);
  }

  /** Bytes of one value slot as user space sees it: round_up(value_size, 8) for per-CPU maps. */
  get valueSlot(): number {
    return this.perCpu ? Math.ceil(this.info.valueSize / 8) * 8 : this.info.valueSize;
  }

  /** Bytes one entry's value takes in user space: value_size, or a slot per possible CPU. */
  get valueStride(): number {
    return this.perCpu ? this.valueSlot * possibleCpus() : this.info.valueSize;
  }

  /** Bytes the kernel charges for this map (fdinfo `memlock:`), or undefined if not reported. */
  memlockBytes(): number | undefined {
    try {
      const m = /^memlock:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${this.fd}`, 'utf8'));
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** GET_NEXT_KEY(NULL) answers ENOENT: the map holds nothing. */
  isEmpty(): boolean {
    const mem = new NativeBlock(MapElemAttr.SIZE + Math.max(8, this.keySize));
    try {
      mem.setU32(MapElemAttr.map_fd, this.fd);
      mem.setU64(MapElemAttr.value, mem.addr + MapElemAttr.SIZE);
      const r = bpf(Cmd.MAP_GET_NEXT_KEY, mem.addr, MapElemAttr.SIZE);
      if (r === -ENOENT) return true;
      if (r < 0) throw new BpfError(Cmd.MAP_GET_NEXT_KEY, -r);
      return false;
    } finally {
      mem.free();
    }
  }

  /**
   * Whether this kernel has BPF_MAP_LOOKUP_AND_DELETE_ELEM for a map of this
   * type (hash maps: Linux 5.14), probed on an empty map of the same shape:
   * ENOENT means the command exists.
   */
  static probeLookupAndDelete(type: number, keySize: number, valueSize: number): boolean {
    const probe = BpfMap.create({ type, keySize, valueSize, maxEntries: 1, name: 'bpfbench_probe' });
    const mem = new NativeBlock(MapElemAttr.SIZE + 16 + Math.ceil(probe.valueStride / 8) * 8);
    try {
      mem.setU32(MapElemAttr.map_fd, probe.fd);
      mem.setU64(MapElemAttr.key, mem.addr + MapElemAttr.SIZE);
      mem.setU64(MapElemAttr.value, mem.addr + MapElemAttr.SIZE + 16);
      return bpf(Cmd.MAP_LOOKUP_AND_DELETE_ELEM, mem.addr, MapElemAttr.SIZE) === -ENOENT;
    } finally {
      mem.free();
      probe.close();
    }
  }

  /** A per-element reader (GET_NEXT_KEY + LOOKUP_ELEM). */
  elemReader(): ElemReader {
    return new ElemReader(this);
  }

  /** An iterator over LOOKUP_BATCH batches of at most `chunk` entries. */
  batches(chunk: number, options: BatchCursorOptions = {}): BatchCursor {
    return new BatchCursor(this, chunk, options);
  }

  private attr(): NativeBlock {
    return (this.scratch ??= new NativeBlock(ATTR_BLOCK));
  }

  /** BPF_MAP_UPDATE_ELEM of the key and value at the given addresses. */
  updateElem(keyAddr: number, valueAddr: number, flags = 0): void {
    const attr = this.attr();
    attr.setU32(MapElemAttr.map_fd, this.fd);
    attr.setU64(MapElemAttr.key, keyAddr);
    attr.setU64(MapElemAttr.value, valueAddr);
    attr.setU64(MapElemAttr.flags, flags);
    const r = bpf(Cmd.MAP_UPDATE_ELEM, attr.addr, MapElemAttr.SIZE);
    if (r < 0) throw new BpfError(Cmd.MAP_UPDATE_ELEM, -r);
  }

  /** BPF_MAP_UPDATE_BATCH of `count` keys and values; returns the entries written. */
  updateBatch(keysAddr: number, valuesAddr: number, count: number, elemFlags = 0): number {
    const attr = this.attr();
    attr.setU64(MapBatchAttr.in_batch, 0);
    attr.setU64(MapBatchAttr.out_batch, 0);
    attr.setU64(MapBatchAttr.keys, keysAddr);
    attr.setU64(MapBatchAttr.values, valuesAddr);
    attr.setU32(MapBatchAttr.count, count);
    attr.setU32(MapBatchAttr.map_fd, this.fd);
    attr.setU64(MapBatchAttr.elem_flags, elemFlags);
    attr.setU64(MapBatchAttr.flags, 0);
    const r = bpf(Cmd.MAP_UPDATE_BATCH, attr.addr, MapBatchAttr.SIZE);
    if (r < 0) throw new BpfError(Cmd.MAP_UPDATE_BATCH, -r, `${attr.getU32(MapBatchAttr.count)} of ${count} written`);
    return attr.getU32(MapBatchAttr.count);
  }

  /**
   * Whether this kernel has BPF_MAP_LOOKUP_BATCH for maps of this type
   * (Linux 5.6; per-CPU arrays 5.13), probed on a tiny empty map: a kernel
   * without it answers EINVAL.
   */
  static probeLookupBatch(type: number): boolean {
    const probe = BpfMap.create({ type, keySize: 4, valueSize: 4, maxEntries: 4, name: 'bpfbench_probe' });
    const cursor = probe.batches(4);
    try {
      cursor.next();
      return true;
    } catch (e) {
      if (e instanceof BpfError && (e.errno === Errno.EINVAL || e.errno === Errno.ENOTSUP || e.errno === Errno.EOPNOTSUPP)) return false;
      throw e;
    } finally {
      cursor.free();
      probe.close();
    }
  }

  close(): void {
    this.scratch?.free();
    this.scratch = undefined;
    if (this.owned) {
      closeFd(this.fd);
      this.owned = false;
    }
  }
}

/**
 * Per-element reading: nextKey() issues GET_NEXT_KEY from the previous key
 * (NULL the first time), lookup() issues LOOKUP_ELEM of the key it returned.
 * The current key and value are in `key*` / `value*` views at offset 0.
 */
export class ElemReader {
  readonly keyBytes: Uint8Array;
  readonly valueBytes: Uint8Array;
  /** The current key's first 4 bytes as u32 (`keyU32[0]`). */
  readonly keyU32: Uint32Array;
  /** The current value's words as i32 (`valueI32[0]`, …). */
  readonly valueI32: Int32Array;
  /** The previous key (the one before the current), for draining: bytes and first u32. */
  readonly prevKeyBytes: Uint8Array;
  readonly prevKeyU32: Uint32Array;
  private readonly mem: NativeBlock;
  private readonly firstAttr: number;
  private readonly nextAttr: number;
  private readonly lookupAttr: number;
  private readonly takePrevAttr: number;
  private readonly lookupPrevAttr: number;
  private readonly keyOff: number;
  private readonly prevOff: number;
  private readonly keySize: number;
  private started = false;

  constructor(map: BpfMap) {
    const keySlot = Math.max(8, Math.ceil(map.keySize / 8) * 8);
    const valueSlot = Math.max(8, Math.ceil(map.valueStride / 8) * 8);
    // [firstAttr | nextAttr | lookupAttr | takePrevAttr | lookupPrevAttr | key | prevKey | value]
    const attrs = 5;
    this.mem = new NativeBlock(attrs * MapElemAttr.SIZE + 2 * keySlot + valueSlot);
    const a = this.mem.addr;
    this.keySize = map.keySize;
    this.keyOff = attrs * MapElemAttr.SIZE;
    this.prevOff = this.keyOff + keySlot;
    const valueOff = this.prevOff + keySlot;
    const m = this.mem;
    for (const [i, keyPtr, outPtr] of [
      [0, 0, a + this.keyOff], // GET_NEXT_KEY(NULL) -> key
      [1, a + this.prevOff, a + this.keyOff], // GET_NEXT_KEY(prev) -> key
      [2, a + this.keyOff, a + valueOff], // LOOKUP_ELEM(key) -> value
      [3, a + this.prevOff, a + valueOff], // LOOKUP_AND_DELETE_ELEM(prev) -> value
      [4, a + this.prevOff, a + valueOff], // LOOKUP_ELEM(prev) -> value, then DELETE_ELEM(prev)
    ] as const) {
      const base = i * MapElemAttr.SIZE;
      m.setU32(base + MapElemAttr.map_fd, map.fd);
      m.setU64(base + MapElemAttr.key, keyPtr);
      m.setU64(base + MapElemAttr.value, outPtr);
    }
    this.firstAttr = a;
    this.nextAttr = a + MapElemAttr.SIZE;
    this.lookupAttr = a + 2 * MapElemAttr.SIZE;
    this.takePrevAttr = a + 3 * MapElemAttr.SIZE;
    this.lookupPrevAttr = a + 4 * MapElemAttr.SIZE;
    const buf = m.bytes.buffer;
    this.prevKeyBytes = new Uint8Array(buf, this.prevOff, map.keySize);
    this.prevKeyU32 = new Uint32Array(buf, this.prevOff, keySlot / 4);
    this.keyBytes = new Uint8Array(buf, this.keyOff, map.keySize);
    this.valueBytes = new Uint8Array(buf, valueOff, map.valueStride);
    this.keyU32 = new Uint32Array(buf, this.keyOff, keySlot / 4);
    this.valueI32 = new Int32Array(buf, valueOff, valueSlot / 4);
  }

  /** Starts over from the first key. */
  reset(): void {
    this.started = false;
  }

  /**
   * GET_NEXT_KEY: moves to the next key. Returns false at the end (ENOENT).
   * Throws BpfError on any other failure.
   */
  nextKey(): boolean {
    let r: number;
    if (this.started) {
      // prev := key, then ask for the key after it.
      this.mem.bytes.copyWithin(this.prevOff, this.keyOff, this.keyOff + this.keySize);
      r = bpf(Cmd.MAP_GET_NEXT_KEY, this.nextAttr, MapElemAttr.SIZE);
    } else {
      r = bpf(Cmd.MAP_GET_NEXT_KEY, this.firstAttr, MapElemAttr.SIZE);
      this.started = true;
    }
    if (r === 0) return true;
    if (r === -ENOENT) return false;
    throw new BpfError(Cmd.MAP_GET_NEXT_KEY, -r);
  }

  /**
   * Drains the previous key (the one nextKey() just moved past, still in the
   * map while GET_NEXT_KEY used it): its value into the value buffer, and
   * the key deleted, with LOOKUP_AND_DELETE_ELEM (Linux 5.14+), or with
   * LOOKUP_ELEM + DELETE_ELEM when `separate`. Returns false if it vanished.
   */
  takePrev(separate: boolean): boolean {
    if (!separate) {
      const r = bpf(Cmd.MAP_LOOKUP_AND_DELETE_ELEM, this.takePrevAttr, MapElemAttr.SIZE);
      if (r === 0) return true;
      if (r === -ENOENT) return false;
      throw new BpfError(Cmd.MAP_LOOKUP_AND_DELETE_ELEM, -r);
    }
    const r = bpf(Cmd.MAP_LOOKUP_ELEM, this.lookupPrevAttr, MapElemAttr.SIZE);
    if (r === -ENOENT) return false;
    if (r !== 0) throw new BpfError(Cmd.MAP_LOOKUP_ELEM, -r);
    // DELETE_ELEM reads only map_fd and key from the same attr.
    const d = bpf(Cmd.MAP_DELETE_ELEM, this.lookupPrevAttr, MapElemAttr.SIZE);
    if (d !== 0 && d !== -ENOENT) throw new BpfError(Cmd.MAP_DELETE_ELEM, -d);
    return true;
  }

  /**
   * LOOKUP_ELEM of the current key. Returns false if the key vanished
   * (deleted since GET_NEXT_KEY returned it).
   */
  lookup(): boolean {
    const r = bpf(Cmd.MAP_LOOKUP_ELEM, this.lookupAttr, MapElemAttr.SIZE);
    if (r === 0) return true;
    if (r === -ENOENT) return false;
    throw new BpfError(Cmd.MAP_LOOKUP_ELEM, -r);
  }

  free(): void {
    this.mem.free();
  }
}

/** One batch: `count` entries at the start of the key and value views. */
export interface Batch {
  count: number;
  /** Keys as u32 words (entry i's first word at i * keyStrideWords when keys are word-aligned). */
  keysU32: Uint32Array;
  valuesI32: Int32Array;
  keyBytes: Uint8Array;
  valueBytes: Uint8Array;
}

export interface BatchCursorOptions {
  /**
   * Re-issue every call from the same cursor (a pointer to zero) instead of
   * advancing it: the published Go experiment's loop. Ends after `maxCalls`.
   * Only for reproducing that flaw.
   */
  fixedCursor?: boolean;
  /** Upper bound on calls (default: one per bucket + 1, which a correct walk never reaches). */
  maxCalls?: number;
  /**
   * On ENOSPC (the next bucket does not fit the chunk): 'grow' doubles the
   * chunk and retries the same call (counted in `growths`); 'fail' (default)
   * throws ChunkTooSmallError.
   */
  onEnospc?: 'grow' | 'fail';
  /** LOOKUP_AND_DELETE_BATCH: every entry delivered is also deleted (a drain). */
  deleting?: boolean;
}

/** The largest chunk growth goes to (entries). */
export const MAX_CHUNK = 1 << 24;

/**
 * An iterator over BPF_MAP_LOOKUP_BATCH results. The first call starts at
 * the beginning (in_batch NULL); each next call continues from the
 * previous out_batch. A short batch (bucket boundary) is delivered as is;
 * ENOENT ends the walk after its entries are delivered. ENOSPC (the next
 * bucket does not fit the chunk) grows the chunk or throws, as asked.
 *
 * The returned IteratorResult and Batch objects are reused between steps.
 */
export class BatchCursor implements IterableIterator<Batch> {
  /** The chunk asked for. */
  readonly requestedChunk: number;
  /** The chunk in use (larger than asked after growths). */
  chunk: number;
  /** LOOKUP_BATCH calls made since the last reset. */
  calls = 0;
  /** Times ENOSPC made the chunk double, since the cursor was made. */
  growths = 0;
  private mem: NativeBlock;
  private attrFirst = 0;
  private attrNext = 0;
  private countFirst = 0;
  private countNext = 0;
  private readonly inOff: number;
  private readonly outOff: number;
  private readonly cursorSize: number;
  private readonly fixed: boolean;
  private readonly grow: boolean;
  private readonly cmd: number;
  private readonly maxCalls: number;
  private readonly map: BpfMap;
  private readonly batch: Batch;
  private readonly result: IteratorResult<Batch>;
  private readonly doneResult: IteratorResult<Batch> = { done: true, value: undefined };
  private state: 0 | 1 | 2 = 0; // 0 = not started, 1 = walking, 2 = ended

  constructor(map: BpfMap, chunk: number, options: BatchCursorOptions = {}) {
    this.map = map;
    this.requestedChunk = chunk;
    this.chunk = chunk;
    this.fixed = options.fixedCursor === true;
    this.grow = options.onEnospc === 'grow';
    this.cmd = options.deleting ? Cmd.MAP_LOOKUP_AND_DELETE_BATCH : Cmd.MAP_LOOKUP_BATCH;
    // Hash maps: the cursor is a u32 bucket index whatever the key size.
    // Other maps: a key.
    this.cursorSize = isHashType(map.info.type) ? 4 : map.keySize;
    const cursorSlot = Math.max(8, Math.ceil(this.cursorSize / 8) * 8);
    const buckets = isHashType(map.info.type) ? nextPow2(map.maxEntries) : map.maxEntries;
    this.maxCalls = options.maxCalls ?? buckets + 2;
    // [attrFirst | attrNext | in | out | keys | values]
    this.inOff = 2 * MapBatchAttr.SIZE;
    this.outOff = this.inOff + cursorSlot;
    this.batch = { count: 0, keysU32: new Uint32Array(0), valuesI32: new Int32Array(0), keyBytes: new Uint8Array(0), valueBytes: new Uint8Array(0) };
    this.result = { done: false, value: this.batch };
    this.mem = this.layout(chunk);
  }

  /** Allocates the native block for `chunk` entries and points both attrs at it. */
  private layout(chunk: number): NativeBlock {
    const map = this.map;
    const keysLen = Math.ceil((chunk * map.keySize) / 8) * 8;
    const valuesLen = Math.ceil((chunk * map.valueStride) / 8) * 8;
    const keysOff = this.outOff + (this.outOff - this.inOff);
    const valuesOff = keysOff + keysLen;
    const m = new NativeBlock(valuesOff + valuesLen);
    const a = m.addr;
    for (const [base, inPtr] of [
      [0, this.fixed ? a + this.inOff : 0],
      [MapBatchAttr.SIZE, a + this.inOff],
    ] as const) {
      m.setU64(base + MapBatchAttr.in_batch, inPtr);
      m.setU64(base + MapBatchAttr.out_batch, a + this.outOff);
      m.setU64(base + MapBatchAttr.keys, a + keysOff);
      m.setU64(base + MapBatchAttr.values, a + valuesOff);
      m.setU32(base + MapBatchAttr.map_fd, map.fd);
    }
    this.attrFirst = a;
    this.attrNext = a + MapBatchAttr.SIZE;
    this.countFirst = MapBatchAttr.count / 4;
    this.countNext = (MapBatchAttr.SIZE + MapBatchAttr.count) / 4;
    const buf = m.bytes.buffer;
    this.batch.keysU32 = new Uint32Array(buf, keysOff, keysLen / 4);
    this.batch.valuesI32 = new Int32Array(buf, valuesOff, valuesLen / 4);
    this.batch.keyBytes = new Uint8Array(buf, keysOff, keysLen);
    this.batch.valueBytes = new Uint8Array(buf, valuesOff, valuesLen);
    return m;
  }

  [Symbol.iterator](): this {
    return this;
  }

  /** Starts a new walk from the beginning (a grown chunk stays grown). */
  reset(): void {
    this.state = 0;
    this.calls = 0;
    this.mem.bytes.fill(0, this.inOff, this.outOff + this.cursorSize);
  }

  next(): IteratorResult<Batch> {
    if (this.state === 2) return this.doneResult;
    if (this.calls >= this.maxCalls) {
      this.state = 2;
      if (this.fixed) return this.doneResult;
      throw new BpfError(Cmd.MAP_LOOKUP_BATCH, Errno.ELOOP, `no end after ${this.calls} calls: the map is changing underneath`);
    }
    for (;;) {
      const u32 = this.mem.u32;
      let r: number;
      let countIdx: number;
      if (this.state === 0 || this.fixed) {
        countIdx = this.countFirst;
        u32[countIdx] = this.chunk;
        r = bpf(this.cmd, this.attrFirst, MapBatchAttr.SIZE);
      } else {
        countIdx = this.countNext;
        u32[countIdx] = this.chunk;
        r = bpf(this.cmd, this.attrNext, MapBatchAttr.SIZE);
      }
      this.calls++;
      const n = u32[countIdx]!;
      if (r === 0) {
        this.state = 1;
        if (!this.fixed) this.advance();
        this.batch.count = n;
        return this.result;
      }
      if (r === -ENOENT) {
        // The end; this call's entries (count) are still valid.
        if (!this.fixed || n === 0) this.state = 2;
        else this.state = 1;
        if (n === 0) return this.doneResult;
        this.batch.count = n;
        return this.result;
      }
      if (r === -ENOSPC && this.grow && this.chunk < MAX_CHUNK) {
        this.growChunk();
        continue; // the same call again, with room for the bucket
      }
      this.state = 2;
      if (r === -ENOSPC) throw new ChunkTooSmallError(this.chunk);
      throw new BpfError(this.cmd, -r);
    }
  }

  /** Doubles the chunk: new buffers, the walk's cursor carried over. */
  private growChunk(): void {
    const old = this.mem;
    this.chunk = Math.min(MAX_CHUNK, this.chunk * 2);
    this.growths++;
    this.mem = this.layout(this.chunk);
    this.mem.bytes.set(old.bytes.subarray(this.inOff, this.outOff + this.cursorSize), this.inOff);
    old.free();
  }

  /** in_batch := out_batch. */
  private advance(): void {
    if (this.cursorSize === 4) {
      const u32 = this.mem.u32;
      u32[this.inOff >> 2] = u32[this.outOff >> 2]!;
    } else {
      this.mem.bytes.copyWithin(this.inOff, this.outOff, this.outOff + this.cursorSize);
    }
  }

  free(): void {
    this.mem.free();
  }
}

export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

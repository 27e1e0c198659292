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

export function isHashType(type: number): boolean {
  return type === MapType.hash || type === MapType.percpu_hash || type === MapType.lru_hash || type === MapType.lru_percpu_hash;
}

export class BpfMap {
  readonly fd: number;
  readonly info: MapInfoData;
  private owned: boolean;

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

  /** Bytes the kernel charges for this map (fdinfo `memlock:`), or undefined if not reported. */
  memlockBytes(): number | undefined {
    try {
      const m = /^memlock:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${this.fd}`, 'utf8'));
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
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

  /** BPF_MAP_UPDATE_ELEM of the key and value at the given addresses. */
  updateElem(keyAddr: number, valueAddr: number, attr: NativeBlock, flags = 0): void {
    attr.setU32(MapElemAttr.map_fd, this.fd);
    attr.setU64(MapElemAttr.key, keyAddr);
    attr.setU64(MapElemAttr.value, valueAddr);
    attr.setU64(MapElemAttr.flags, flags);
    const r = bpf(Cmd.MAP_UPDATE_ELEM, attr.addr, MapElemAttr.SIZE);
    if (r < 0) throw new BpfError(Cmd.MAP_UPDATE_ELEM, -r);
  }

  /** BPF_MAP_UPDATE_BATCH of `count` keys and values; returns the entries written. */
  updateBatch(keysAddr: number, valuesAddr: number, count: number, attr: NativeBlock, elemFlags = 0): number {
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

  close(): void {
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
  private readonly mem: NativeBlock;
  private readonly firstAttr: number;
  private readonly nextAttr: number;
  private readonly lookupAttr: number;
  private readonly keyOff: number;
  private readonly prevOff: number;
  private readonly keySize: number;
  private started = false;

  constructor(map: BpfMap) {
    const keySlot = Math.max(8, Math.ceil(map.keySize / 8) * 8);
    const valueSlot = Math.max(8, Math.ceil(map.valueSize / 8) * 8);
    // [firstAttr | nextAttr | lookupAttr | key | prevKey | value]
    this.mem = new NativeBlock(3 * MapElemAttr.SIZE + 2 * keySlot + valueSlot);
    const a = this.mem.addr;
    this.keySize = map.keySize;
    this.keyOff = 3 * MapElemAttr.SIZE;
    this.prevOff = this.keyOff + keySlot;
    const valueOff = this.prevOff + keySlot;
    const m = this.mem;
    for (const [i, keyPtr, outPtr] of [
      [0, 0, a + this.keyOff], // GET_NEXT_KEY(NULL) -> key
      [1, a + this.prevOff, a + this.keyOff], // GET_NEXT_KEY(prev) -> key
      [2, a + this.keyOff, a + valueOff], // LOOKUP_ELEM(key) -> value
    ] as const) {
      const base = i * MapElemAttr.SIZE;
      m.setU32(base + MapElemAttr.map_fd, map.fd);
      m.setU64(base + MapElemAttr.key, keyPtr);
      m.setU64(base + MapElemAttr.value, outPtr);
    }
    this.firstAttr = a;
    this.nextAttr = a + MapElemAttr.SIZE;
    this.lookupAttr = a + 2 * MapElemAttr.SIZE;
    const buf = m.bytes.buffer;
    this.keyBytes = new Uint8Array(buf, this.keyOff, map.keySize);
    this.valueBytes = new Uint8Array(buf, valueOff, map.valueSize);
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
  readonly keysU32: Uint32Array;
  readonly valuesI32: Int32Array;
  readonly keyBytes: Uint8Array;
  readonly valueBytes: Uint8Array;
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
}

/**
 * An iterator over BPF_MAP_LOOKUP_BATCH results. The first call starts at
 * the beginning (in_batch NULL); each next call continues from the
 * previous out_batch. A short batch (bucket boundary) is delivered as is;
 * ENOENT ends the walk after its entries are delivered. ENOSPC (the next
 * bucket does not fit the chunk) throws ChunkTooSmallError.
 *
 * The returned IteratorResult and Batch objects are reused between steps.
 */
export class BatchCursor implements IterableIterator<Batch> {
  readonly chunk: number;
  /** LOOKUP_BATCH calls made since the last reset. */
  calls = 0;
  private readonly mem: NativeBlock;
  private readonly attrFirst: number;
  private readonly attrNext: number;
  private readonly inOff: number;
  private readonly outOff: number;
  private readonly cursorSize: number;
  private readonly fixed: boolean;
  private readonly maxCalls: number;
  private readonly batch: Batch;
  private readonly result: IteratorResult<Batch>;
  private readonly doneResult: IteratorResult<Batch> = { done: true, value: undefined };
  private state: 0 | 1 | 2 = 0; // 0 = not started, 1 = walking, 2 = ended
  private readonly countFirst: number;
  private readonly countNext: number;

  constructor(map: BpfMap, chunk: number, options: BatchCursorOptions = {}) {
    this.chunk = chunk;
    this.fixed = options.fixedCursor === true;
    // Hash maps: the cursor is a u32 bucket index whatever the key size.
    // Other maps: a key.
    this.cursorSize = isHashType(map.info.type) ? 4 : map.keySize;
    const cursorSlot = Math.max(8, Math.ceil(this.cursorSize / 8) * 8);
    const keysLen = Math.ceil((chunk * map.keySize) / 8) * 8;
    const valuesLen = Math.ceil((chunk * map.valueSize) / 8) * 8;
    const buckets = isHashType(map.info.type) ? nextPow2(map.maxEntries) : map.maxEntries;
    this.maxCalls = options.maxCalls ?? buckets + 2;
    // [attrFirst | attrNext | in | out | keys | values]
    const attrs = 2 * MapBatchAttr.SIZE;
    this.inOff = attrs;
    this.outOff = attrs + cursorSlot;
    const keysOff = this.outOff + cursorSlot;
    const valuesOff = keysOff + keysLen;
    this.mem = new NativeBlock(valuesOff + valuesLen);
    const m = this.mem;
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
    this.batch = {
      count: 0,
      keysU32: new Uint32Array(buf, keysOff, keysLen / 4),
      valuesI32: new Int32Array(buf, valuesOff, valuesLen / 4),
      keyBytes: new Uint8Array(buf, keysOff, keysLen),
      valueBytes: new Uint8Array(buf, valuesOff, valuesLen),
    };
    this.result = { done: false, value: this.batch };
  }

  [Symbol.iterator](): this {
    return this;
  }

  /** Starts a new walk from the beginning. */
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
    const u32 = this.mem.u32;
    let r: number;
    let countIdx: number;
    if (this.state === 0 || this.fixed) {
      countIdx = this.countFirst;
      u32[countIdx] = this.chunk;
      r = bpf(Cmd.MAP_LOOKUP_BATCH, this.attrFirst, MapBatchAttr.SIZE);
      this.state = 1;
    } else {
      countIdx = this.countNext;
      u32[countIdx] = this.chunk;
      r = bpf(Cmd.MAP_LOOKUP_BATCH, this.attrNext, MapBatchAttr.SIZE);
    }
    this.calls++;
    const n = u32[countIdx]!;
    if (r === 0) {
      if (!this.fixed) this.advance();
      this.batch.count = n;
      return this.result;
    }
    if (r === -ENOENT) {
      // The end; this call's entries (count) are still valid.
      if (!this.fixed) this.state = 2;
      if (n === 0) {
        this.state = 2;
        return this.doneResult;
      }
      this.batch.count = n;
      return this.result;
    }
    this.state = 2;
    if (r === -ENOSPC) throw new ChunkTooSmallError(this.chunk);
    throw new BpfError(Cmd.MAP_LOOKUP_BATCH, -r);
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

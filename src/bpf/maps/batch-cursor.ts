// BatchCursor: a walk over a map with BPF_MAP_LOOKUP_BATCH (or
// LOOKUP_AND_DELETE_BATCH), `chunk` entries at most per call, the cursor
// advanced each call, to the ENOENT that ends it. Its native memory is laid
// out once (again only when ENOSPC grows the chunk); no step allocates.
import { MapBatchAttr } from '../syscall/attr.js';
import { Cmd } from '../syscall/constants.js';
import { BpfError, Errno } from '../syscall/bpf-errors.js';
import type { BpfMap } from './map.js';
import { nextPow2, roundUp, traitsOf } from './map-types.js';
import { NativeBlock } from '../syscall/native-block.js';
import { bpf } from '../syscall/syscall.js';

const ENOENT = Errno.ENOENT;
const ENOSPC = Errno.ENOSPC;

/** What a batch walk needs of its map. */
export type BatchMap = Pick<BpfMap, 'fd' | 'info' | 'keySize' | 'valueStride' | 'maxEntries'>;

/** One batch: `count` entries at the start of the key and value views. */
export interface Batch {
  count: number;
  /** Keys as u32 words (entry i's first word at i * keyStrideWords when keys are word-aligned). */
  keysU32: Uint32Array;
  valuesI32: Int32Array;
  keyBytes: Uint8Array;
  valueBytes: Uint8Array;
}

/**
 * A walk over a map in batches, as a batch read drains it. The
 * IteratorResult and Batch objects it returns are reused between steps.
 */
export interface BatchWalk extends IterableIterator<Batch> {
  /** The chunk in use. */
  readonly chunk: number;
  /** Times ENOSPC made the chunk double, since the walk was made. */
  readonly growths: number;
  /** LOOKUP_BATCH calls made since the last reset. */
  readonly calls: number;
  /** Starts a new walk from the beginning. */
  reset(): void;
  free(): void;
}

export interface BatchCursorOptions {
  /**
   * On ENOSPC (the next bucket does not fit the chunk): 'grow' doubles the
   * chunk and retries the same call (counted in `growths`); 'fail' (default)
   * throws ChunkTooSmallError.
   */
  onEnospc?: 'grow' | 'fail';
  /** LOOKUP_AND_DELETE_BATCH: every entry delivered is also deleted (a drain). */
  deleting?: boolean;
  /** Upper bound on calls (default: one per bucket + 2, which a correct walk never reaches). */
  maxCalls?: number;
}

/** The largest chunk growth goes to (entries). */
export const MAX_CHUNK = 1 << 24;

/**
 * LOOKUP_BATCH could not fit the next bucket into the chunk (nothing was
 * copied). `chunk` is the chunk that was too small.
 */
export class ChunkTooSmallError extends BpfError {
  readonly chunk: number;
  constructor(chunk: number) {
    super(Cmd.MAP_LOOKUP_BATCH, ENOSPC, `the next hash bucket holds more than ${chunk} entries (the chunk)`);
    this.chunk = chunk;
  }
}

/**
 * What every batch walk holds: its native memory, laid out as
 * [attr… | in | out | keys | values] with room for `chunk` keys and values,
 * and the Batch and IteratorResult objects it hands out (reused between
 * steps). Each attr names the map and points out_batch, keys and values into
 * the block; its in_batch is NULL (start at the beginning) or points at the
 * `in` cursor, as `cursorIn` says. Subclasses make the calls.
 */
export abstract class BatchBuffers implements BatchWalk {
  abstract readonly chunk: number;
  abstract readonly growths: number;
  calls = 0;
  protected mem: NativeBlock;
  /** Byte offsets of the in_batch and out_batch cursors. */
  protected readonly inOff: number;
  protected readonly outOff: number;
  /** Bytes of the cursor: a u32 bucket index (hash maps, whatever the key size) or a key. */
  protected readonly cursorSize: number;
  protected readonly batch: Batch = { count: 0, keysU32: new Uint32Array(0), valuesI32: new Int32Array(0), keyBytes: new Uint8Array(0), valueBytes: new Uint8Array(0) };
  protected readonly result: IteratorResult<Batch> = { done: false, value: this.batch };
  protected readonly doneResult: IteratorResult<Batch> = { done: true, value: undefined };
  private readonly map: BatchMap;
  private readonly cursorIn: readonly boolean[];

  /** `cursorIn[i]`: whether attr i reads in_batch from the `in` cursor (else NULL). */
  protected constructor(map: BatchMap, chunk: number, cursorIn: readonly boolean[]) {
    this.map = map;
    this.cursorIn = cursorIn;
    this.cursorSize = traitsOf(map.info.type)?.batchCursor === 'bucket' ? 4 : map.keySize;
    const cursorSlot = Math.max(8, roundUp(this.cursorSize));
    this.inOff = cursorIn.length * MapBatchAttr.SIZE;
    this.outOff = this.inOff + cursorSlot;
    this.mem = this.allocate(chunk);
  }

  /** New native memory for `chunk` entries, the batch's views moved to it (the old block is the caller's to free). */
  protected allocate(chunk: number): NativeBlock {
    const keysOff = this.outOff + (this.outOff - this.inOff);
    const keysLen = roundUp(chunk * this.map.keySize);
    const valuesOff = keysOff + keysLen;
    const valuesLen = roundUp(chunk * this.map.valueStride);
    const mem = new NativeBlock(valuesOff + valuesLen);
    const a = mem.addr;
    this.cursorIn.forEach((fromCursor, i) => {
      const base = i * MapBatchAttr.SIZE;
      mem.setU64(base + MapBatchAttr.in_batch, fromCursor ? a + this.inOff : 0);
      mem.setU64(base + MapBatchAttr.out_batch, a + this.outOff);
      mem.setU64(base + MapBatchAttr.keys, a + keysOff);
      mem.setU64(base + MapBatchAttr.values, a + valuesOff);
      mem.setU32(base + MapBatchAttr.map_fd, this.map.fd);
    });
    const buf = mem.bytes.buffer;
    this.batch.keysU32 = new Uint32Array(buf, keysOff, keysLen / 4);
    this.batch.valuesI32 = new Int32Array(buf, valuesOff, valuesLen / 4);
    this.batch.keyBytes = new Uint8Array(buf, keysOff, keysLen);
    this.batch.valueBytes = new Uint8Array(buf, valuesOff, valuesLen);
    return mem;
  }

  [Symbol.iterator](): this {
    return this;
  }

  abstract next(): IteratorResult<Batch>;

  /** Starts a new walk from the beginning: no calls yet, both cursors zeroed. */
  reset(): void {
    this.calls = 0;
    this.mem.bytes.fill(0, this.inOff, this.outOff + this.cursorSize);
  }

  free(): void {
    this.mem.free();
  }
}

/** `count` of BatchCursor's first and second attr, as u32 indices. */
const COUNT_FIRST = MapBatchAttr.count / 4;
const COUNT_NEXT = (MapBatchAttr.SIZE + MapBatchAttr.count) / 4;

/**
 * An iterator over BPF_MAP_LOOKUP_BATCH results. The first call starts at
 * the beginning (in_batch NULL); each next call continues from the
 * previous out_batch. A short batch (bucket boundary) is delivered as is;
 * ENOENT ends the walk after its entries are delivered. ENOSPC (the next
 * bucket does not fit the chunk) grows the chunk or throws, as asked.
 * A walk that has not ended after one call per bucket (+2) throws ELOOP:
 * the map is changing underneath.
 */
export class BatchCursor extends BatchBuffers {
  /** The chunk asked for. */
  readonly requestedChunk: number;
  /** The chunk in use (larger than asked after growths). */
  chunk: number;
  growths = 0;
  private readonly grow: boolean;
  private readonly cmd: number;
  private readonly maxCalls: number;
  private state: 0 | 1 | 2 = 0; // 0 = not started, 1 = walking, 2 = ended

  constructor(map: BatchMap, chunk: number, options: BatchCursorOptions = {}) {
    // The first call starts at the beginning (in_batch NULL), the next ones from `in`.
    super(map, chunk, [false, true]);
    this.requestedChunk = chunk;
    this.chunk = chunk;
    this.grow = options.onEnospc === 'grow';
    this.cmd = options.deleting ? Cmd.MAP_LOOKUP_AND_DELETE_BATCH : Cmd.MAP_LOOKUP_BATCH;
    const bucketed = traitsOf(map.info.type)?.batchCursor === 'bucket';
    this.maxCalls = options.maxCalls ?? (bucketed ? nextPow2(map.maxEntries) : map.maxEntries) + 2;
  }

  /** Starts a new walk from the beginning (a grown chunk stays grown). */
  override reset(): void {
    super.reset();
    this.state = 0;
  }

  next(): IteratorResult<Batch> {
    if (this.state === 2) return this.doneResult;
    if (this.calls >= this.maxCalls) {
      this.state = 2;
      throw new BpfError(Cmd.MAP_LOOKUP_BATCH, Errno.ELOOP, `no end after ${this.calls} calls: the map is changing underneath`);
    }
    for (;;) {
      const u32 = this.mem.u32;
      const first: boolean = this.state === 0;
      const countIdx = first ? COUNT_FIRST : COUNT_NEXT;
      u32[countIdx] = this.chunk;
      const r = bpf(this.cmd, first ? this.mem.addr : this.mem.addr + MapBatchAttr.SIZE, MapBatchAttr.SIZE);
      this.calls++;
      const n = u32[countIdx]!;
      if (r === 0) {
        this.state = 1;
        this.advance();
        this.batch.count = n;
        return this.result;
      }
      if (r === -ENOENT) {
        // The end; this call's entries (count) are still valid.
        this.state = 2;
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
    this.mem = this.allocate(this.chunk);
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
}

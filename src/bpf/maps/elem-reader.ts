// ElemReader: per-element reading over fixed native buffers. GET_NEXT_KEY to
// the next key, LOOKUP_ELEM of it; for drains, the previous key's value taken
// and the key deleted. Its memory is allocated once; no step allocates or
// throws except on a kernel failure other than ENOENT.
import { MapElemAttr } from '../syscall/attr.js';
import { Cmd } from '../syscall/constants.js';
import { BpfError, Errno } from '../syscall/bpf-errors.js';
import type { BpfMap } from './map.js';
import { roundUp } from './map-types.js';
import { NativeBlock } from '../syscall/native-block.js';
import { bpf } from '../syscall/syscall.js';

const ENOENT = Errno.ENOENT;

/** What a reader needs of its map. */
export type ElemReaderMap = Pick<BpfMap, 'fd' | 'keySize' | 'valueStride'>;

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
  private readonly deletePrevAttr: number;
  private readonly keyOff: number;
  private readonly prevOff: number;
  private readonly keySize: number;
  private started = false;

  constructor(map: ElemReaderMap) {
    const keySlot = Math.max(8, roundUp(map.keySize));
    const valueLen = Math.max(8, roundUp(map.valueStride));
    // [firstAttr | nextAttr | lookupAttr | takePrevAttr | lookupPrevAttr | deletePrevAttr | key | prevKey | value]
    const attrs = 6;
    this.mem = new NativeBlock(attrs * MapElemAttr.SIZE + 2 * keySlot + valueLen);
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
      [4, a + this.prevOff, a + valueOff], // LOOKUP_ELEM(prev) -> value, then
      [5, a + this.prevOff, 0], // DELETE_ELEM(prev): its attr ends at `key` (a set `value` is EINVAL)
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
    this.deletePrevAttr = a + 5 * MapElemAttr.SIZE;
    const buf = m.bytes.buffer;
    this.prevKeyBytes = new Uint8Array(buf, this.prevOff, map.keySize);
    this.prevKeyU32 = new Uint32Array(buf, this.prevOff, keySlot / 4);
    this.keyBytes = new Uint8Array(buf, this.keyOff, map.keySize);
    this.valueBytes = new Uint8Array(buf, valueOff, map.valueStride);
    this.keyU32 = new Uint32Array(buf, this.keyOff, keySlot / 4);
    this.valueI32 = new Int32Array(buf, valueOff, valueLen / 4);
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
    // DELETE_ELEM has its own attr, {map_fd, key}: the kernel's CHECK_ATTR
    // rejects (EINVAL) any non-zero byte after `key`, so the lookup's attr,
    // whose `value` is set, cannot be reused (native/read-loop.c does the same).
    const d = bpf(Cmd.MAP_DELETE_ELEM, this.deletePrevAttr, MapElemAttr.SIZE);
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

// Stable native memory for syscall arguments. The kernel reads and writes it
// through Number addresses (koffi's integer fast path); JavaScript sees it
// through typed-array views over the same bytes. Nothing here allocates per
// call: a block is allocated once and reused for the life of a run.
import koffi from 'koffi';
import { roundUp } from '../maps/map-types.js';

export class NativeBlock {
  /** Address of the first byte, as a Number (fits: user-space addresses are < 2^47). */
  readonly addr: number;
  readonly size: number;
  readonly bytes: Uint8Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  readonly view: DataView;
  private handle: unknown;

  constructor(size: number) {
    // Round up to 8 so u64 fields and u32 views always fit.
    this.size = Math.max(8, roundUp(size));
    this.handle = koffi.alloc('uint8_t', this.size);
    this.addr = Number(koffi.address(this.handle));
    const ab = koffi.view(this.handle, this.size);
    this.bytes = new Uint8Array(ab);
    this.bytes.fill(0);
    this.u32 = new Uint32Array(ab);
    this.i32 = new Int32Array(ab);
    this.view = new DataView(ab);
  }

  /** Writes a u64 (a pointer or a flag word) at a byte offset. */
  setU64(offset: number, value: number): void {
    this.view.setUint32(offset, value % 0x1_0000_0000, true);
    this.view.setUint32(offset + 4, Math.floor(value / 0x1_0000_0000), true);
  }

  /** Reads a u64 written by C (a count below 2^53) at a byte offset. */
  getU64(offset: number): number {
    return this.view.getUint32(offset, true) + this.view.getUint32(offset + 4, true) * 0x1_0000_0000;
  }

  setU32(offset: number, value: number): void {
    this.view.setUint32(offset, value, true);
  }

  getU32(offset: number): number {
    return this.view.getUint32(offset, true);
  }

  zero(): void {
    this.bytes.fill(0);
  }

  /** Writes a NUL-terminated string at offset; returns its address. */
  setCString(offset: number, s: string): number {
    const enc = Buffer.from(`${s}\0`, 'utf8');
    if (offset + enc.length > this.size) throw new RangeError(`string of ${enc.length} bytes does not fit`);
    this.bytes.set(enc, offset);
    return this.addr + offset;
  }

  getCString(offset: number, max: number): string {
    let end = offset;
    while (end < offset + max && this.bytes[end] !== 0) end++;
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + offset, end - offset).toString('utf8');
  }

  free(): void {
    if (this.handle !== null) {
      koffi.free(this.handle);
      this.handle = null;
    }
  }
}

// What the loader writes for each index i, for any map shape: the key
// carries i in its first min(4, key_size) bytes (little-endian) and a byte
// pattern after; the value is a byte pattern derived from i (and, for
// per-CPU maps, from the CPU slot), or, for the published experiment's
// u32 → u32 hash map, the constant 0xdeadbeef it wrote. Verification asks
// the same object what it should have read.

export interface PatternShape {
  keySize: number;
  valueSize: number;
  /** Bytes per CPU slot in user space (round_up(value_size, 8) for per-CPU maps, else value_size). */
  valueSlot: number;
  /** Value slots per entry: possible CPUs for per-CPU maps, else 1. */
  slots: number;
  /** A constant u32 value for every entry (only with 4-byte, single-slot values). */
  constant?: number;
}

/** The little-endian u32 at `off` (a 4-byte key, a value word). */
export function u32le(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

const keyByte = (i: number, j: number) => (Math.imul(i, 131) + j * 7 + 0x3d) & 0xff;
const valueByte = (i: number, slot: number, j: number) => ((Math.imul(i, 0x9e3779b1) >>> ((j & 3) * 8)) ^ (slot * 0x3b) ^ (j * 0x11) ^ 0xa5) & 0xff;

export class Pattern {
  readonly shape: PatternShape;
  /** Largest index a key can carry. */
  readonly maxIndex: number;
  readonly valueStride: number;
  private readonly indexBytes: number;

  constructor(shape: PatternShape) {
    if (shape.constant !== undefined && (shape.valueSize !== 4 || shape.slots !== 1)) throw new RangeError('a constant value needs 4-byte single-slot values');
    this.shape = shape;
    this.indexBytes = Math.min(4, shape.keySize);
    this.maxIndex = 2 ** (8 * this.indexBytes) - 1;
    this.valueStride = shape.valueSlot * shape.slots;
  }

  writeKey(i: number, b: Uint8Array, off: number): void {
    const n = this.indexBytes;
    for (let j = 0; j < n; j++) b[off + j] = (i >>> (8 * j)) & 0xff;
    for (let j = n; j < this.shape.keySize; j++) b[off + j] = keyByte(i, j);
  }

  /** The index a key carries. */
  keyIndex(b: Uint8Array, off: number): number {
    let i = 0;
    for (let j = 0; j < this.indexBytes; j++) i += b[off + j]! * 2 ** (8 * j);
    return i;
  }

  /** The key's bytes after the index are the pattern's. */
  keyTailOk(i: number, b: Uint8Array, off: number): boolean {
    for (let j = this.indexBytes; j < this.shape.keySize; j++) if (b[off + j] !== keyByte(i, j)) return false;
    return true;
  }

  writeValue(i: number, b: Uint8Array, off: number): void {
    const { valueSize, valueSlot, slots, constant } = this.shape;
    if (constant !== undefined) {
      for (let j = 0; j < 4; j++) b[off + j] = (constant >>> (8 * j)) & 0xff;
      return;
    }
    for (let s = 0; s < slots; s++) {
      const base = off + s * valueSlot;
      for (let j = 0; j < valueSize; j++) b[base + j] = valueByte(i, s, j);
      for (let j = valueSize; j < valueSlot; j++) b[base + j] = 0;
    }
  }

  /** Every slot of the value holds the pattern for index i (or all zero, when `zero`). */
  valueOk(i: number, b: Uint8Array, off: number, zero = false): boolean {
    const { valueSize, valueSlot, slots, constant } = this.shape;
    if (constant !== undefined && !zero) {
      for (let j = 0; j < 4; j++) if (b[off + j] !== ((constant >>> (8 * j)) & 0xff)) return false;
      return true;
    }
    for (let s = 0; s < slots; s++) {
      const base = off + s * valueSlot;
      for (let j = 0; j < valueSize; j++) if (b[base + j] !== (zero ? 0 : valueByte(i, s, j))) return false;
    }
    return true;
  }

  /** The value's first (up to) 4 bytes of slot 0 as i32: what the checksum takes. */
  static word0(b: Uint8Array, off: number, valueSize: number): number {
    let w = 0;
    for (let j = 0; j < Math.min(4, valueSize); j++) w |= b[off + j]! << (8 * j);
    return w | 0;
  }

  /** The word0 a correct read sees for index i. */
  expectedWord0(i: number, zero = false): number {
    if (zero) return 0;
    if (this.shape.constant !== undefined) return this.shape.constant | 0;
    let w = 0;
    for (let j = 0; j < Math.min(4, this.shape.valueSize); j++) w |= valueByte(i, 0, j) << (8 * j);
    return w | 0;
  }
}

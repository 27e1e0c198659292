// The strategies' output port: where a read puts every entry it gets. The
// harness implements it (the verifier, the census); strategies know only this.
import type { NativeCheck } from '../bpf/native/native-check.js';

export interface EntrySink {
  /** One entry of a 4-byte key and a 4-byte single-slot value: key as u32, value as i32. */
  add(key: number, value: number): void;
  /** `n` entries from parallel u32 key / i32 value arrays (4-byte keys and values). */
  addMany(keys: Uint32Array, values: Int32Array, n: number): void;
  /** Any shape: `n` keys of key_size bytes and values of `valueStride` bytes, packed. */
  addManyRaw(keyBytes: Uint8Array, valueBytes: Uint8Array, n: number, keySize: number, valueStride: number): void;
  /** Any shape: one entry, its key and value at these offsets. */
  addRaw(keyBytes: Uint8Array, keyOff: number, valueBytes: Uint8Array, valueOff: number): void;
  /**
   * The native loop's fast path (the verifier only): a check C folds each
   * hand-over into, for entries of this shape, instead of handing them
   * over; undefined to be handed every entry (census, consistency, foreign
   * maps). After each hand-over C folded, `folded()` is called (progress).
   */
  nativeCheck?(keySize: number, valueStride: number): NativeCheck | undefined;
  folded?(): void;
}

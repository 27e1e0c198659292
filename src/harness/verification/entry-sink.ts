// What the harness's entry sinks (the verifier, the census, the consistency
// sink) share: every shape a read hands over comes down to add(key, value),
// the key's first u32 and the value's first word. A sink writes add(), and
// overrides addRaw() where it checks more of an entry (the verifier's
// patterned maps).
import type { EntrySink } from '../../strategies/sink.js';
import { Pattern, u32le } from '../filling/pattern.js';

export abstract class EntrySinkBase implements EntrySink {
  /** One entry: the key's first u32, the value's first word as i32. Must not allocate. */
  abstract add(key: number, value: number): void;

  addMany(keys: Uint32Array, values: Int32Array, n: number): void {
    for (let i = 0; i < n; i++) this.add(keys[i]!, values[i]!);
  }

  addManyRaw(keyBytes: Uint8Array, valueBytes: Uint8Array, n: number, keySize: number, valueStride: number): void {
    for (let i = 0; i < n; i++) this.addRaw(keyBytes, i * keySize, valueBytes, i * valueStride);
  }

  addRaw(keyBytes: Uint8Array, ko: number, valueBytes: Uint8Array, vo: number): void {
    this.add(u32le(keyBytes, ko), Pattern.word0(valueBytes, vo, 4));
  }
}

// KeyProbe: is this one key in the map? One BPF_MAP_LOOKUP_ELEM per question,
// from an attr block and key/value buffers of its own.
//
// The harness takes its census of an LRU map (which keys the map kept after
// the fill, expectation.ts) by probing every key the loader wrote. That census
// is what the read strategies are verified against, so it must share no code
// with them: no GET_NEXT_KEY, no LOOKUP_BATCH, no native read loop, nothing
// from elem-reader.ts, batch-cursor.ts or native-loop.ts. A bug there then
// shows as a failed verification instead of hiding in the expectation.
//
// A lookup from user space never evicts, and on an LRU map it does not mark
// the entry as used either (the kernel's htab_lru_map_lookup_elem_sys), so
// probing leaves the map as it found it.
import { MapElemAttr } from '../syscall/attr.js';
import { Cmd } from '../syscall/constants.js';
import { BpfError, Errno } from '../syscall/bpf-errors.js';
import type { BpfMap } from './map.js';
import { NativeBlock } from '../syscall/native-block.js';
import { bpf } from '../syscall/syscall.js';

/** What a probe needs of its map. */
export type ProbedMap = Pick<BpfMap, 'fd' | 'keySize' | 'valueStride'>;

export class KeyProbe {
  /** The key to look up: write it here before lookup(). */
  readonly key: Uint8Array;
  /** The value the last successful lookup() found (every CPU's slot for a per-CPU map). */
  readonly value: Uint8Array;
  private readonly attr: NativeBlock;
  private readonly keyMem: NativeBlock;
  private readonly valueMem: NativeBlock;

  constructor(map: ProbedMap) {
    this.attr = new NativeBlock(MapElemAttr.SIZE);
    this.keyMem = new NativeBlock(map.keySize);
    this.valueMem = new NativeBlock(map.valueStride);
    this.key = this.keyMem.bytes.subarray(0, map.keySize);
    this.value = this.valueMem.bytes.subarray(0, map.valueStride);
    this.attr.setU32(MapElemAttr.map_fd, map.fd);
    this.attr.setU64(MapElemAttr.key, this.keyMem.addr);
    this.attr.setU64(MapElemAttr.value, this.valueMem.addr);
    this.attr.setU64(MapElemAttr.flags, 0);
  }

  /** LOOKUP_ELEM of `key`: true when the map holds it (its value now in `value`), false on ENOENT. */
  lookup(): boolean {
    const r = bpf(Cmd.MAP_LOOKUP_ELEM, this.attr.addr, MapElemAttr.SIZE);
    if (r === 0) return true;
    if (r === -Errno.ENOENT) return false;
    throw new BpfError(Cmd.MAP_LOOKUP_ELEM, -r);
  }

  free(): void {
    this.attr.free();
    this.keyMem.free();
    this.valueMem.free();
  }
}

// Feature probes: whether this kernel has a bpf command for a map type,
// asked of a tiny empty map of that type made for the purpose (and closed).
import { MapElemAttr } from './attr.js';
import { BatchCursor } from './batch-cursor.js';
import { Cmd } from './constants.js';
import { BpfError, Errno } from './errors.js';
import { BpfMap } from './map.js';
import { roundUp } from './map-types.js';
import { NativeBlock } from './native.js';
import { bpf } from './syscall.js';

const PROBE_NAME = 'bpfbench_probe';

/**
 * Whether this kernel has BPF_MAP_LOOKUP_BATCH for maps of this type
 * (Linux 5.6; per-CPU arrays 5.13), probed on a tiny empty map: a kernel
 * without it answers EINVAL.
 */
export function probeLookupBatch(type: number): boolean {
  const probe = BpfMap.create({ type, keySize: 4, valueSize: 4, maxEntries: 4, name: PROBE_NAME });
  const cursor = new BatchCursor(probe, 4);
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

/**
 * Whether this kernel has BPF_MAP_LOOKUP_AND_DELETE_ELEM for a map of this
 * type (hash maps: Linux 5.14), probed on an empty map of the same shape:
 * ENOENT means the command exists.
 */
export function probeLookupAndDelete(type: number, keySize: number, valueSize: number): boolean {
  const probe = BpfMap.create({ type, keySize, valueSize, maxEntries: 1, name: PROBE_NAME });
  // [attr | key | value]
  const keySlot = Math.max(16, roundUp(keySize));
  const mem = new NativeBlock(MapElemAttr.SIZE + keySlot + roundUp(probe.valueStride));
  try {
    mem.setU32(MapElemAttr.map_fd, probe.fd);
    mem.setU64(MapElemAttr.key, mem.addr + MapElemAttr.SIZE);
    mem.setU64(MapElemAttr.value, mem.addr + MapElemAttr.SIZE + keySlot);
    return bpf(Cmd.MAP_LOOKUP_AND_DELETE_ELEM, mem.addr, MapElemAttr.SIZE) === -Errno.ENOENT;
  } finally {
    mem.free();
    probe.close();
  }
}

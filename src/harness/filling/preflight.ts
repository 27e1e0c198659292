// Checks made before creating a map: privilege, kernel support of the
// commands a run needs, and whether the map fits in available memory.
import { readFileSync } from 'node:fs';
import { MapType, mapTypeName } from '../../bpf/syscall/constants.js';
import { BpfError, Errno } from '../../bpf/syscall/bpf-errors.js';
import { BpfMap } from '../../bpf/maps/map.js';
import { nextPow2, roundUp, traitsOf } from '../../bpf/maps/map-types.js';
import { possibleCpus } from '../../bpf/maps/cpus.js';
import { UsageError } from '../../errors.js';
import { fmtCount } from '../verification/verdict.js';
export { possibleCpus };

const CAP_SYS_ADMIN = 21;
const CAP_BPF = 39;

/** Effective capabilities of this process, from /proc/self/status. */
export function effectiveCaps(): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

export function hasBpfPrivilege(caps = effectiveCaps()): boolean {
  return ((caps >> BigInt(CAP_BPF)) & 1n) === 1n || ((caps >> BigInt(CAP_SYS_ADMIN)) & 1n) === 1n;
}

export const PRIVILEGE_HINT = 'bpfbench needs root, or CAP_BPF (with CAP_PERFMON for tracing): run it with sudo';

export function checkPrivilege(): void {
  if (!hasBpfPrivilege()) throw new UsageError(`no privilege to use bpf(2): ${PRIVILEGE_HINT}`);
}

/**
 * Makes and closes a tiny map of this type: a kernel that refuses
 * BPF_MAP_CREATE refuses every run, so that is said first, as a privilege
 * problem. What each strategy needs beyond it is probed per strategy
 * (strategies/availability.ts).
 */
export function checkMapCreate(type: number = MapType.hash): void {
  try {
    BpfMap.create({ type, keySize: 4, valueSize: 4, maxEntries: 4, name: 'bpfbench_probe' }).close();
  } catch (e) {
    if (e instanceof BpfError && (e.errno === Errno.EPERM || e.errno === Errno.EACCES)) {
      throw new UsageError(`bpf(BPF_MAP_CREATE) refused (${e.code}): ${PRIVILEGE_HINT}`);
    }
    if (e instanceof BpfError) throw new UsageError(`this kernel cannot make ${mapTypeName(type)} maps: BPF_MAP_CREATE failed with ${e.code}`);
    throw e;
  }
}

/**
 * Kernel memory a preallocated hash map takes, after the kernel's own
 * accounting (htab_map_mem_usage): 16-byte buckets for max_entries rounded
 * up to a power of two, plus one element (48-byte header + key + value,
 * each rounded to 8) per entry and per possible CPU, plus ~5 % slab
 * overhead measured on this machine kind (100Mi u32/u32: 8.7 GiB).
 */
export function estimateMapBytes(type: number, keySize: number, valueSize: number, maxEntries: number): number {
  const ncpu = possibleCpus();
  const traits = traitsOf(type);
  const percpu = traits?.perCpu === true;
  if (traits?.kind === 'hash') {
    const elem = 48 + roundUp(keySize, 8) + (percpu ? 8 : roundUp(valueSize, 8));
    const perCpuValues = percpu ? roundUp(valueSize, 8) * ncpu * maxEntries : 0;
    const bytes = 16 * nextPow2(maxEntries) + elem * (maxEntries + ncpu) + perCpuValues;
    return Math.ceil(bytes * 1.05);
  }
  return Math.ceil(roundUp(valueSize, 8) * maxEntries * (percpu ? ncpu : 1) * 1.05);
}

export function memAvailableBytes(): number {
  const m = /^MemAvailable:\s*(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) * 1024 : Infinity;
}

const GiB = 1024 ** 3;
export const fmtGiB = (b: number) => `${(b / GiB).toFixed(1)} GiB`;

/** Headroom left for the rest of the system after the map and our own buffers. */
export const MEMORY_HEADROOM = 1 * GiB;

export interface MemoryPlan {
  mapBytes: number;
  userBytes: number;
  availableBytes: number;
}

/** Bytes a run needs: the kernel's map, this process's buffers (verifier bitmap, batch buffers), and headroom. */
function memoryNeed(type: number, keySize: number, valueSize: number, maxEntries: number, entries: number): { mapBytes: number; userBytes: number; need: number } {
  const mapBytes = estimateMapBytes(type, keySize, valueSize, maxEntries);
  const userBytes = Math.ceil(entries / 8) + 256 * 1024 * 1024;
  return { mapBytes, userBytes, need: mapBytes + userBytes + MEMORY_HEADROOM };
}

/**
 * The map a run asked for does not fit in available memory. Names no flag:
 * `tooBig` says which size to change, the map's max_entries (a map of
 * max_entries = entries would fit) or the entries themselves, and the
 * message says it in the map's own terms.
 */
export class MemoryTooSmallError extends UsageError {
  readonly tooBig: 'maxEntries' | 'entries';
  readonly maxEntries: number;
  readonly entries: number;
  /** Kernel memory the map of maxEntries would take (estimate), this process's buffers, and what is available. */
  readonly mapBytes: number;
  readonly userBytes: number;
  readonly availableBytes: number;
  /** The map's kernel memory per slot of max_entries, rounded to a byte. */
  readonly bytesPerSlot: number;
  /** The fact alone: `a 2,000,000,000-entry map needs about … but only … is available`. */
  readonly shortfall: string;

  constructor(f: { tooBig: 'maxEntries' | 'entries'; maxEntries: number; entries: number; mapBytes: number; userBytes: number; availableBytes: number }) {
    const bytesPerSlot = Math.round(f.mapBytes / f.maxEntries);
    const map = f.tooBig === 'maxEntries' ? `a map of max_entries ${fmtCount(f.maxEntries)}` : `a ${fmtCount(f.maxEntries)}-entry map`;
    const shortfall =
      `${map} needs about ${fmtGiB(f.mapBytes)} of kernel memory (+${fmtGiB(f.userBytes + MEMORY_HEADROOM)} for bpfbench and headroom), ` + `but only ${fmtGiB(f.availableBytes)} is available`;
    const advice =
      f.tooBig === 'maxEntries'
        ? `reduce the map's max_entries (each slot costs ~${fmtCount(bytesPerSlot)} B; ${fmtCount(f.entries)} entries would fit in a map of max_entries ${fmtCount(f.entries)}) or free memory`
        : `use fewer entries${f.maxEntries > f.entries ? ' and a smaller max_entries' : ''} (each entry costs ~${fmtCount(bytesPerSlot)} B) or free memory`;
    super(`${shortfall}: ${advice}`);
    this.name = 'MemoryTooSmallError';
    this.tooBig = f.tooBig;
    this.maxEntries = f.maxEntries;
    this.entries = f.entries;
    this.mapBytes = f.mapBytes;
    this.userBytes = f.userBytes;
    this.availableBytes = f.availableBytes;
    this.bytesPerSlot = bytesPerSlot;
    this.shortfall = shortfall;
  }
}

/**
 * Refuses a map that would not fit: kernel estimate + this process's
 * buffers (verifier bitmap, batch buffers) + headroom must be available.
 * Throws MemoryTooSmallError, saying whether the map's max_entries is what
 * does not fit (a map of max_entries = entries would) or the entries are.
 */
export function checkMemory(type: number, keySize: number, valueSize: number, maxEntries: number, entries: number, available = memAvailableBytes()): MemoryPlan {
  const { mapBytes, userBytes, need } = memoryNeed(type, keySize, valueSize, maxEntries, entries);
  if (need > available) {
    const tight = maxEntries > entries ? memoryNeed(type, keySize, valueSize, entries, entries).need : need;
    const tooBig = tight <= available ? 'maxEntries' : 'entries';
    throw new MemoryTooSmallError({ tooBig, maxEntries, entries, mapBytes, userBytes, availableBytes: available });
  }
  return { mapBytes, userBytes, availableBytes: available };
}

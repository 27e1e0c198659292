// The probes behind features.ts, each run once: a program of the BPF object
// loaded on its own, a raw tracepoint attached once, a map command tried on
// a small map, and the kernel's lockdown mode; and the four outcomes a probe
// has (available, unsupported, refused, error) from its errno.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { MapElemAttr, RawTracepointAttr } from '../syscall/attr.js';
import { BatchCursor } from '../maps/batch-cursor.js';
import { Cmd, mapTypeName } from '../syscall/constants.js';
import { BpfError, Errno, errnoName } from '../syscall/bpf-errors.js';
import { BpfObject, OBJECT_MAP, ObjectLoadError } from './loader.js';
import { BpfMap } from '../maps/map.js';
import { roundUp } from '../maps/map-types.js';
import { NativeBlock } from '../syscall/native-block.js';
import { bpf, closeFd } from '../syscall/syscall.js';

export type FeatureState = 'available' | 'unsupported' | 'refused' | 'error';

export interface FeatureStatus {
  state: FeatureState;
  /** The errno the kernel answered (null when available). */
  errno: string | null;
  /** One line of why, when not available. */
  why: string | null;
  /** Set by a test's override (BPFBENCH_TEST_REFUSE), never by the kernel. */
  forced?: true;
}

/** A row of `bpfbench info --kernel` and of every result's context. */
export interface FeatureRow extends FeatureStatus {
  /** Stable id: `program:dump_map`, `cmd:lookup_batch`, `attach:sys_enter`. */
  id: string;
  /** What it is, for people. */
  feature: string;
}

export interface KernelFacts {
  release: string;
  /** The lockdown mode (`none`, `integrity`, `confidentiality`), or null when it cannot be read. */
  lockdown: string | null;
  /** How the lockdown mode was read, or why it could not be. */
  lockdownSource: string;
  /** The object the programs were probed from. */
  object: string;
  /** Why the object could not be opened (its programs are then not in the table). */
  objectError?: string;
  features: FeatureRow[];
}

const AVAILABLE: FeatureStatus = { state: 'available', errno: null, why: null };

export function classify(errno: number): FeatureState {
  if (errno === Errno.EPERM || errno === Errno.EACCES) return 'refused';
  if ([Errno.EINVAL, Errno.E2BIG, Errno.EOPNOTSUPP, Errno.ENOTSUP, 524 /* ENOTSUPP */, Errno.ENOENT, Errno.ESRCH, Errno.ENOSYS].includes(errno)) return 'unsupported';
  return 'error';
}

function statusOf(errno: number, why: string): FeatureStatus {
  return { state: classify(errno), errno: errnoName(errno), why };
}

// --- lockdown --------------------------------------------------------------

interface Lockdown {
  mode: string | null;
  source: string;
}

/** `none [integrity] confidentiality` → `integrity`. */
export function parseLockdown(text: string): string | null {
  return /\[(\w+)\]/.exec(text)?.[1] ?? null;
}

/**
 * The lockdown mode, from securityfs: where it is mounted, read there; else
 * (securityfs is not mounted by default here) mounted in a private mount
 * namespace of a short-lived child, so nothing is left mounted.
 */
function readLockdown(): Lockdown {
  const file = '/sys/kernel/security/lockdown';
  try {
    if (existsSync(file)) return { mode: parseLockdown(readFileSync(file, 'utf8')), source: file };
  } catch {
    // fall through to the private mount
  }
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', `mount -t securityfs securityfs /sys/kernel/security && cat ${file}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 5000,
  });
  if (r.status === 0) {
    const mode = parseLockdown(r.stdout);
    if (mode) return { mode, source: 'securityfs, mounted in a private mount namespace' };
  }
  const why = r.error ? `${r.error.message}` : (r.stderr || '').trim().split('\n').pop() || `exit ${r.status}`;
  return { mode: null, source: `securityfs is not mounted and could not be (${why})` };
}

let lockdownCache: Lockdown | undefined;
export function lockdown(): Lockdown {
  return (lockdownCache ??= readLockdown());
}

// --- probes ----------------------------------------------------------------

/**
 * One line of a failed load's log: the verifier's reason, not libbpf's
 * generic last words. An EPERM the verifier never saw (it processed 0
 * instructions) is said as such: libbpf's hint to raise `ulimit -l` is not
 * the cause on a kernel that charges BPF memory to its cgroup.
 */
function reasonOf(e: ObjectLoadError): string {
  const lines = e.log
    .map((l) => l.trim())
    .filter((l) => l && !/^libbpf: (failed to load object|prog '.*': failed to load|permission error while running as root)/.test(l) && !/^-- (BEGIN|END) PROG LOAD LOG --$/.test(l));
  if (classify(e.errno) === 'refused' && lines.some((l) => /^processed 0 insns/.test(l))) return 'refused before the verifier looked at it (processed 0 insns)';
  const telling = lines.filter((l) => /too large|invalid|unknown func|not supported|denied|not permitted|unsupported|cannot|can't|failed|refus|error/i.test(l));
  return (telling.pop() ?? lines.pop() ?? 'no log').replace(/^libbpf: /, '').replace(/^prog '[^']*': /, '');
}

export function loadOnly(path: string, name: string): FeatureStatus {
  let obj: BpfObject | undefined;
  try {
    obj = BpfObject.open(path);
    obj.configureMap(OBJECT_MAP, { maxEntries: 1 });
    obj.autoloadOnly([name]);
    obj.load();
    return AVAILABLE;
  } catch (e) {
    if (e instanceof ObjectLoadError) return statusOf(e.errno, reasonOf(e));
    throw e;
  } finally {
    obj?.close();
  }
}

/** Loads `name` and attaches it to the raw tracepoint `tp` for an instant (it counts nobody: its target is 0). */
export function attachOnce(path: string, name: string, tp: string): FeatureStatus {
  const obj = BpfObject.open(path);
  const attr = new NativeBlock(64);
  try {
    obj.configureMap(OBJECT_MAP, { maxEntries: 1 });
    obj.autoloadOnly([name]);
    try {
      obj.load();
    } catch (e) {
      if (e instanceof ObjectLoadError) return statusOf(e.errno, `its program ${name} does not load: ${reasonOf(e)}`);
      throw e;
    }
    attr.setU64(RawTracepointAttr.name, attr.setCString(RawTracepointAttr.SIZE, tp));
    attr.setU32(RawTracepointAttr.prog_fd, obj.programFd(name));
    const fd = bpf(Cmd.RAW_TRACEPOINT_OPEN, attr.addr, RawTracepointAttr.SIZE);
    if (fd < 0) return statusOf(-fd, `BPF_RAW_TRACEPOINT_OPEN ${tp} failed`);
    closeFd(fd);
    return AVAILABLE;
  } finally {
    attr.free();
    obj.close();
  }
}

/** A command asked of a tiny empty map of `type`: the kernel's answer, as a status. */
export function batchStatus(type: number, deleting: boolean): FeatureStatus {
  const cmd = deleting ? 'BPF_MAP_LOOKUP_AND_DELETE_BATCH' : 'BPF_MAP_LOOKUP_BATCH';
  let probe: BpfMap;
  try {
    probe = BpfMap.create({ type, keySize: 4, valueSize: 4, maxEntries: 4, name: 'bpfbench_probe' });
  } catch (e) {
    if (e instanceof BpfError) return statusOf(e.errno, `BPF_MAP_CREATE of a ${mapTypeName(type)} map failed`);
    throw e;
  }
  const cursor = new BatchCursor(probe, 4, { deleting });
  try {
    cursor.next();
    return AVAILABLE;
  } catch (e) {
    if (e instanceof BpfError) return statusOf(e.errno, `${cmd} on a ${mapTypeName(type)} map failed`);
    throw e;
  } finally {
    cursor.free();
    probe.close();
  }
}

/**
 * BPF_MAP_LOOKUP_AND_DELETE_ELEM for a map of this type and shape (hash
 * maps: Linux 5.14), asked of an empty map of the same shape: ENOENT means
 * the command exists; any other answer says why not.
 */
export function lookupAndDeleteStatus(type: number, keySize = 4, valueSize = 4): FeatureStatus {
  const probe = BpfMap.create({ type, keySize, valueSize, maxEntries: 1, name: 'bpfbench_probe' });
  // [attr | key | value]
  const keySlot = Math.max(16, roundUp(keySize));
  const mem = new NativeBlock(MapElemAttr.SIZE + keySlot + roundUp(probe.valueStride));
  try {
    mem.setU32(MapElemAttr.map_fd, probe.fd);
    mem.setU64(MapElemAttr.key, mem.addr + MapElemAttr.SIZE);
    mem.setU64(MapElemAttr.value, mem.addr + MapElemAttr.SIZE + keySlot);
    const r = bpf(Cmd.MAP_LOOKUP_AND_DELETE_ELEM, mem.addr, MapElemAttr.SIZE);
    if (r === -Errno.ENOENT) return AVAILABLE;
    const errno = r < 0 ? -r : Errno.EINVAL;
    return statusOf(errno, `BPF_MAP_LOOKUP_AND_DELETE_ELEM on an empty ${mapTypeName(type)} map answered ${r < 0 ? errnoName(-r) : r}, not ENOENT`);
  } finally {
    mem.free();
    probe.close();
  }
}

// --- the cache -------------------------------------------------------------

// What this kernel allows, found out once per process before it is needed
// (as cilium/ebpf's features package does): each program of the BPF object
// loaded on its own, the map commands bpfbench uses, the raw tracepoints the
// counter attaches to, and the lockdown mode. Every probe has one of four
// outcomes, kept apart:
//   available;
//   unsupported: the kernel lacks it (EINVAL, E2BIG, EOPNOTSUPP, ENOENT…);
//   refused: the kernel has it and will not allow it (EPERM, EACCES), as a
//     kernel in lockdown refuses iter/bpf_map_elem programs;
//   error: anything else, kept with its errno.
// A refused or unsupported feature becomes one line where something needs it
// (requireFeature), and everything else goes on without it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { UsageError } from '../../errors.js';
import { DEFAULT_OBJECT } from '../../paths.js';
import { MapElemAttr, RawTracepointAttr } from '../syscall/attr.js';
import { BatchCursor } from '../maps/batch-cursor.js';
import { Cmd, MapType, mapTypeName } from '../syscall/constants.js';
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

/** What each of the object's programs is for (a program not named here is shown by its section alone). */
const PROGRAM_PURPOSE: Record<string, string> = {
  fill: '--fill prog',
  write_map: 'run --writers',
  count_syscalls: "the kernel's count of bpf calls, by the pid namespace's pid",
  count_syscalls_host: "the same, by the host's pid (kernels before 5.7)",
  time_bpf_calls: 'time inside bpf(2)',
  dump_map: 'the iter strategy',
  probe_bpf_loop: 'the bpf_loop helper',
  probe_ns_pid: 'the namespace-aware pid helper',
  probe_iter_map_elem: 'iterator target bpf_map_elem (empty program)',
  probe_iter_map: 'iterator target bpf_map (empty program)',
};

/** Names the features are asked for by. */
export const Feature = {
  fillProgram: 'program:fill',
  writerProgram: 'program:write_map',
  counterProgram: 'program:count_syscalls',
  counterHostProgram: 'program:count_syscalls_host',
  timerProgram: 'program:time_bpf_calls',
  iterProgram: 'program:dump_map',
  bpfLoop: 'program:probe_bpf_loop',
  nsPid: 'program:probe_ns_pid',
  iterTarget: 'program:probe_iter_map_elem',
  sysEnter: 'attach:sys_enter',
  sysExit: 'attach:sys_exit',
  lookupBatch: 'cmd:lookup_batch',
  lookupAndDelete: 'cmd:lookup_and_delete_elem',
  lookupAndDeleteBatch: 'cmd:lookup_and_delete_batch',
} as const;
export type FeatureId = string;

/** Short names a test may force refused (BPFBENCH_TEST_REFUSE=iter,lookup_batch). */
const ALIASES: Record<string, FeatureId[]> = {
  iter: [Feature.iterProgram, Feature.iterTarget],
  lookup_batch: [Feature.lookupBatch],
  lookup_and_delete_batch: [Feature.lookupAndDeleteBatch],
  fill: [Feature.fillProgram],
  writers: [Feature.writerProgram],
  counter: [Feature.counterProgram, Feature.sysEnter],
  ns_pid: [Feature.nsPid, Feature.counterProgram],
};

/**
 * Features a test forces refused: BPFBENCH_TEST_REFUSE, honoured only under
 * node's test runner (NODE_TEST_CONTEXT, which it sets for test files and
 * the processes they start), so no user run can be made to lie by it.
 */
function forcedRefusals(env: NodeJS.ProcessEnv = process.env): Set<FeatureId> {
  const out = new Set<FeatureId>();
  if (!env.NODE_TEST_CONTEXT || !env.BPFBENCH_TEST_REFUSE) return out;
  for (const name of env.BPFBENCH_TEST_REFUSE.split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    for (const id of ALIASES[name] ?? [name]) out.add(id);
  }
  return out;
}

/** EPERM/EACCES: refused; the errnos of a kernel that lacks a thing: unsupported; else error. */
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

function loadOnly(path: string, name: string): FeatureStatus {
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
function attachOnce(path: string, name: string, tp: string): FeatureStatus {
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
function batchStatus(type: number, deleting: boolean): FeatureStatus {
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
function lookupAndDeleteStatus(type: number, keySize = 4, valueSize = 4): FeatureStatus {
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

const cache = new Map<string, FeatureStatus>();

function cached(key: string, id: FeatureId, probe: () => FeatureStatus): FeatureStatus {
  const forced = forcedRefusals();
  if (forced.has(id)) return { state: 'refused', errno: 'EPERM', why: 'forced refused by BPFBENCH_TEST_REFUSE (tests only)', forced: true };
  let s = cache.get(key);
  if (!s) {
    s = probe();
    cache.set(key, s);
  }
  return s;
}

/** The probe of one feature, by id, of the object at `path` (cached per process). */
export function probeFeature(id: FeatureId, path: string = DEFAULT_OBJECT): FeatureStatus {
  const [kind, name] = id.split(':') as [string, string];
  switch (kind) {
    case 'program':
      return cached(`${path}|${id}`, id, () => loadOnly(path, name));
    case 'attach':
      return cached(`${path}|${id}`, id, () => attachOnce(path, name === 'sys_exit' ? 'time_bpf_calls' : counterEnterProgram(path), name));
    case 'cmd':
      return lookupCmd(name, MapType.hash, id);
    default:
      throw new UsageError(`unknown kernel feature '${id}'`);
  }
}

function lookupCmd(name: string, type: number, id: FeatureId): FeatureStatus {
  const key = `${id}|${type}`;
  switch (name) {
    case 'lookup_batch':
      return cached(key, id, () => batchStatus(type, false));
    case 'lookup_and_delete_batch':
      return cached(key, id, () => batchStatus(type, true));
    case 'lookup_and_delete_elem':
      return cached(key, id, () => lookupAndDeleteStatus(type));
    default:
      throw new UsageError(`unknown kernel feature '${id}'`);
  }
}

/** A map command's status for maps of `type` (the table's rows are for hash maps). */
export function probeCommand(id: FeatureId, type: number): FeatureStatus {
  return lookupCmd(id.split(':')[1]!, type, id);
}

/** Whether this kernel has BPF_MAP_LOOKUP_BATCH for maps of this type (Linux 5.6; percpu_array 5.13). */
export function probeLookupBatch(type: number): boolean {
  return probeCommand(Feature.lookupBatch, type).state === 'available';
}

/** Whether this kernel has BPF_MAP_LOOKUP_AND_DELETE_ELEM for a map of this type and shape (not cached: the shape matters). */
export function probeLookupAndDelete(type: number, keySize: number, valueSize: number): boolean {
  return lookupAndDeleteStatus(type, keySize, valueSize).state === 'available';
}

/** The counter's enter program this kernel loads: the namespace-aware one, else the host-pid fallback. */
export function counterEnterProgram(path?: string): string {
  return probeFeature(Feature.counterProgram, path).state === 'available' ? 'count_syscalls' : 'count_syscalls_host';
}

export function isAvailable(id: FeatureId, path?: string): boolean {
  return probeFeature(id, path).state === 'available';
}

/** The label of a feature in the table. */
function labelOf(id: FeatureId, sections: Map<string, string>): string {
  const [kind, name] = id.split(':') as [string, string];
  if (kind === 'program') {
    const purpose = PROGRAM_PURPOSE[name];
    return `${sections.get(name)?.replace(/^\?/, '') ?? '?'} ${name}${purpose ? `: ${purpose}` : ''}`;
  }
  if (kind === 'attach') return `attach raw_tp ${name}: ${name === 'sys_enter' ? 'the count' : 'the timing'}`;
  return `BPF_MAP_${name.toUpperCase()} (hash)`;
}

/** Every feature, probed (cached), in the table's order: the object's programs, the attachments, the commands. */
export function kernelFacts(path: string = DEFAULT_OBJECT): KernelFacts {
  let programs: { name: string; section: string }[] = [];
  let objectError: string | undefined;
  try {
    const obj = BpfObject.open(path);
    try {
      programs = obj.programs();
    } finally {
      obj.close();
    }
  } catch (e) {
    // An object that will not open: its programs cannot be probed; the map commands still are.
    objectError = e instanceof Error ? e.message : String(e);
  }
  const sections = new Map(programs.map((p) => [p.name, p.section]));
  const ids = [...programs.map((p) => `program:${p.name}`), Feature.sysEnter, Feature.sysExit, Feature.lookupBatch, Feature.lookupAndDelete, Feature.lookupAndDeleteBatch];
  const l = lockdown();
  return {
    release: release(),
    lockdown: l.mode,
    lockdownSource: l.source,
    object: path,
    ...(objectError ? { objectError } : {}),
    features: ids.map((id) => ({ id, feature: labelOf(id, sections), ...probeFeature(id, path) })),
  };
}

/** `EPERM, lockdown: integrity`: the errno, and the lockdown mode when it may be why. */
function errnoAndLockdown(s: FeatureStatus): string {
  const mode = s.state === 'refused' && !s.forced ? lockdown().mode : null;
  return `${s.errno}${mode && mode !== 'none' ? `, lockdown: ${mode}` : ''}`;
}

/** `this kernel refuses iter/bpf_map_elem programs (EPERM, lockdown: integrity)`. */
export function refusalText(what: string, s: FeatureStatus): string {
  const verb = s.state === 'refused' ? 'refuses' : s.state === 'unsupported' ? 'does not support' : 'failed to load';
  return `this kernel ${verb} ${what} (${errnoAndLockdown(s)}${s.state !== 'refused' && s.why ? `: ${s.why}` : ''})`;
}

/** A feature a request needs is refused or missing: one line, exit 1, before any map is made. */
export class FeatureUnavailableError extends UsageError {
  readonly feature: FeatureId;
  readonly status: FeatureStatus;
  constructor(who: string, what: string, feature: FeatureId, status: FeatureStatus) {
    super(`${who}: ${refusalText(what, status)}`);
    this.name = 'FeatureUnavailableError';
    this.feature = feature;
    this.status = status;
  }
}

/** Throws FeatureUnavailableError naming `who` (a strategy, a flag) unless `id` is available. */
export function requireFeature(who: string, what: string, id: FeatureId, path?: string): void {
  const s = probeFeature(id, path);
  if (s.state !== 'available') throw new FeatureUnavailableError(who, what, id, s);
}

/** Tests: forget every probe (after changing BPFBENCH_TEST_REFUSE in this process). */
export function resetFeatureCache(): void {
  cache.clear();
}

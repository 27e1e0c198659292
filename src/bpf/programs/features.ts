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
import { release } from 'node:os';
import { UsageError } from '../../errors.js';
import { DEFAULT_OBJECT } from '../../paths.js';
import { MapType } from '../syscall/constants.js';
import { BpfObject } from './loader.js';
import { type FeatureStatus, type KernelFacts, lockdown, loadOnly, attachOnce, batchStatus, lookupAndDeleteStatus } from './feature-probes.js';

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
export const cache = new Map<string, FeatureStatus>();

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

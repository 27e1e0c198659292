// The machine a result was measured on: enough to tell whether two results
// are comparable (kernel, CPU, memory, runtime and library versions).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { koffiVersion } from '../../bpf/syscall/libc.js';
import { kernelFacts } from '../../bpf/programs/features.js';
import type { KernelFacts } from '../../bpf/programs/feature-probes.js';
import { libbpfVersion } from '../../bpf/programs/loader.js';
import { nativeInjectNs, nativeLibPath } from '../../bpf/native/native-library.js';
import { NATIVE_ARTIFACT, OBJECT_ARTIFACT, type Artifact } from '../../paths.js';

/** A file bpfbench loaded: where from, whether the local build or the package's prebuilt copy, and its content hash. */
export interface LoadedArtifact {
  path: string;
  /** `other`: a path given on the command line (--object) or by a test. */
  origin: 'local' | 'prebuilt' | 'other';
  /** sha256 of the file, or null when it is missing. */
  sha256: string | null;
}

export interface RunContext {
  kernel: string;
  cpuModel: string;
  cpus: number;
  memTotalBytes: number;
  node: string;
  koffi: string;
  libbpf: string;
  /** What this kernel allows (bpfbench info --kernel): release, lockdown and every probed feature. */
  kernelFeatures?: KernelFacts;
  /** The BPF object and the native read loop this run used. */
  loaded?: { object: LoadedArtifact; native: LoadedArtifact };
  /** What changes the cost of a syscall on this machine (absent in results from before it was recorded). */
  machine?: MachineFacts;
  /**
   * Calibration only: the busy-wait (ns) the native read loop added after
   * every syscall (BPFBENCH_INJECT_NS), as the library read it; absent when
   * the variable is not set, null when the library did not load.
   */
  injectNs?: number | null;
}

/**
 * The machine beyond its kernel and CPU model: what changes the cost of a
 * syscall or of a memory walk. Each is the file's text as read, or null when
 * the file is not there (a container without /sys, an older kernel).
 */
export interface MachineFacts {
  /** /sys/devices/system/cpu/vulnerabilities/*: name → state, e.g. "meltdown": "Mitigation: PTI". */
  mitigations: Record<string, string>;
  /** /proc/sys/net/core/bpf_jit_enable, bpf_jit_harden, bpf_jit_kallsyms. */
  bpfJit: { enable: string | null; harden: string | null; kallsyms: string | null };
  /** 'none' (no hypervisor flag in /proc/cpuinfo), the type or vendor /sys names, or 'present (type not exposed)'. */
  hypervisor: string;
  /** /sys/devices/system/cpu/smt/control (on, off, notsupported, …). */
  smt: string | null;
  /** /sys/devices/system/clocksource/clocksource0/current_clocksource. */
  clocksource: string | null;
  /** /sys/kernel/mm/transparent_hugepage/enabled, the bracketed choice. */
  thp: string | null;
}

function readTrim(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

function hypervisor(): string {
  const flags = /^flags\s*:(.*)$/m.exec(readTrim('/proc/cpuinfo') ?? '')?.[1] ?? '';
  const named = readTrim('/sys/hypervisor/type') ?? readTrim('/sys/class/dmi/id/sys_vendor');
  if (!/\bhypervisor\b/.test(flags)) return named && readTrim('/sys/hypervisor/type') ? named : 'none';
  return named ?? 'present (type not exposed)';
}

/** This machine's mitigations, BPF JIT, hypervisor, SMT, clock source and THP, read from /sys and /proc. */
export function machineFacts(): MachineFacts {
  const dir = '/sys/devices/system/cpu/vulnerabilities';
  const mitigations: Record<string, string> = {};
  let names: string[] = [];
  try {
    names = readdirSync(dir).sort();
  } catch {
    // No such directory: an older kernel or another architecture; none recorded.
  }
  for (const n of names) {
    const v = readTrim(`${dir}/${n}`);
    if (v !== null) mitigations[n] = v;
  }
  const thp = readTrim('/sys/kernel/mm/transparent_hugepage/enabled');
  return {
    mitigations,
    bpfJit: { enable: readTrim('/proc/sys/net/core/bpf_jit_enable'), harden: readTrim('/proc/sys/net/core/bpf_jit_harden'), kallsyms: readTrim('/proc/sys/net/core/bpf_jit_kallsyms') },
    hypervisor: hypervisor(),
    smt: readTrim('/sys/devices/system/cpu/smt/control'),
    clocksource: readTrim('/sys/devices/system/clocksource/clocksource0/current_clocksource'),
    thp: thp === null ? null : (/\[([^\]]+)\]/.exec(thp)?.[1] ?? thp),
  };
}

function sha256(path: string): string | null {
  if (!existsSync(path)) return null;
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function artifact(path: string, known: Artifact): LoadedArtifact {
  return { path, origin: path === known.path ? known.origin : 'other', sha256: sha256(path) };
}

/** The object and the native library at these paths, as a result records them. */
export function loadedArtifacts(objectPath: string = OBJECT_ARTIFACT.path): { object: LoadedArtifact; native: LoadedArtifact } {
  return { object: artifact(objectPath, OBJECT_ARTIFACT), native: artifact(nativeLibPath(), NATIVE_ARTIFACT) };
}

function cpuModel(): string {
  const c = cpus();
  if (c.length && c[0]!.model) return c[0]!.model.trim();
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? m[1]!.trim() : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function runContext(objectPath: string = OBJECT_ARTIFACT.path): RunContext {
  return {
    kernel: release(),
    cpuModel: cpuModel(),
    cpus: cpus().length,
    memTotalBytes: totalmem(),
    node: process.version,
    koffi: koffiVersion(),
    libbpf: libbpfVersion() ?? 'missing',
    kernelFeatures: kernelFacts(objectPath),
    loaded: loadedArtifacts(objectPath),
    machine: machineFacts(),
    ...(process.env.BPFBENCH_INJECT_NS !== undefined ? { injectNs: nativeInjectNs() } : {}),
  };
}

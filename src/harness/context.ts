// The machine a result was measured on: enough to tell whether two results
// are comparable (kernel, CPU, memory, runtime and library versions).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { koffiVersion } from '../bpf/libc.js';
import { kernelFacts, type KernelFacts } from '../bpf/features.js';
import { libbpfVersion } from '../bpf/loader.js';
import { nativeLibPath } from '../bpf/native-loop.js';
import { NATIVE_ARTIFACT, OBJECT_ARTIFACT, type Artifact } from '../paths.js';

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
  };
}

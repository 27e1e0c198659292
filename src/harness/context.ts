// The machine a result was measured on: enough to tell whether two results
// are comparable (kernel, CPU, memory, runtime and library versions).
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import koffi from 'koffi';
import { libbpfVersion } from '../bpf/loader.js';

export interface RunContext {
  kernel: string;
  cpuModel: string;
  cpus: number;
  memTotalBytes: number;
  node: string;
  koffi: string;
  libbpf: string;
}

function koffiVersion(): string {
  return (koffi as unknown as { version?: string }).version ?? 'unknown';
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

export function runContext(): RunContext {
  return {
    kernel: release(),
    cpuModel: cpuModel(),
    cpus: cpus().length,
    memTotalBytes: totalmem(),
    node: process.version,
    koffi: koffiVersion(),
    libbpf: libbpfVersion() ?? 'missing',
  };
}

// CPUs as the kernel counts them for per-CPU maps: the *possible* ones
// (/sys/devices/system/cpu/possible), not the online ones.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

let cached: number | undefined;

/** Parses a CPU list such as `0-3,6,8-9`. */
export function parseCpuList(s: string): number {
  let n = 0;
  for (const part of s.trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-').map(Number);
    n += b === undefined ? 1 : b - a! + 1;
  }
  return n;
}

export function possibleCpus(): number {
  if (cached !== undefined) return cached;
  try {
    cached = parseCpuList(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));
  } catch {
    cached = cpus().length;
  }
  return cached;
}

/** The online CPUs (/sys/devices/system/cpu/online): the default threads of a sharded read. */
export function onlineCpus(): number {
  try {
    return parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
  } catch {
    return cpus().length;
  }
}

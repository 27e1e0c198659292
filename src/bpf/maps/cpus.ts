// CPUs as the kernel counts them for per-CPU maps: the *possible* ones
// (/sys/devices/system/cpu/possible), not the online ones.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

let cached: number | undefined;

/** The CPUs of a list such as `0-3,6,8-9`, as the kernel writes them. */
function cpuListOf(s: string): number[] {
  const list: number[] = [];
  for (const part of s.trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-').map(Number);
    for (let c = a!; c <= (b ?? a!); c++) list.push(c);
  }
  return list;
}

export function possibleCpus(): number {
  if (cached !== undefined) return cached;
  try {
    cached = cpuListOf(readFileSync('/sys/devices/system/cpu/possible', 'utf8')).length;
  } catch {
    cached = cpus().length;
  }
  return cached;
}

/** The online CPUs (/sys/devices/system/cpu/online), by number. */
export function onlineCpuList(): number[] {
  try {
    return cpuListOf(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
  } catch {
    return cpus().map((_, i) => i);
  }
}

/** How many CPUs are online: the default threads of a sharded read. */
export const onlineCpus = (): number => onlineCpuList().length;

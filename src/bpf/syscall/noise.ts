// What disturbed a read, from the kernel's own accounting, read before and
// after it (outside its timed span): the steal time of the machine's CPUs
// (/proc/stat, the hypervisor running someone else), and the reading
// thread's involuntary context switches (/proc/thread-self/status) and CPU
// migrations (/proc/thread-self/sched, when the kernel has it). The read
// loop runs in the calling thread (the native loop is a synchronous call),
// so thread-self is the thread that read.
import { readFileSync } from 'node:fs';

export interface NoiseCounters {
  /** Steal time of every CPU, ns (USER_HZ ticks of /proc/stat × 10 ms). */
  stealNs: number;
  involuntarySwitches: number;
  /** null: /proc/thread-self/sched is not there (a kernel without CONFIG_SCHED_DEBUG). */
  migrations: number | null;
}

/** /proc/stat counts in USER_HZ, 100 on every Linux ABI bpfbench runs on. */
const NS_PER_TICK = 1e9 / 100;

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function noiseCounters(): NoiseCounters {
  // The aggregate line: user nice system idle iowait irq softirq steal …
  const cpu =
    /^cpu\s+(.*)$/m
      .exec(read('/proc/stat') ?? '')?.[1]
      ?.trim()
      .split(/\s+/)
      .map(Number) ?? [];
  const steal = cpu[7] ?? 0;
  const sw = /^nonvoluntary_ctxt_switches:\s*(\d+)/m.exec(read('/proc/thread-self/status') ?? '');
  const mig = /^se\.nr_migrations\s*:\s*(\d+)/m.exec(read('/proc/thread-self/sched') ?? '');
  return { stealNs: steal * NS_PER_TICK, involuntarySwitches: sw ? Number(sw[1]) : 0, migrations: mig ? Number(mig[1]) : null };
}

/** What happened between two readings. */
export function noiseSince(a: NoiseCounters, b: NoiseCounters): NoiseCounters {
  return {
    stealNs: b.stealNs - a.stealNs,
    involuntarySwitches: b.involuntarySwitches - a.involuntarySwitches,
    migrations: a.migrations === null || b.migrations === null ? null : b.migrations - a.migrations,
  };
}

// How the syscall counter knows the process it counts: by the pid its own
// pid namespace gives it (st_dev and st_ino of /proc/self/ns/pid), or, on a
// kernel without the namespace-aware helper, by its pid in the initial
// namespace.
import { readFileSync, statSync } from 'node:fs';

/** How the counter knows its process: by the pid its own namespace gives it, or by the initial namespace's pid. */
export type CounterIdentity = 'pid-namespace' | 'host-pid';

/** st_dev and st_ino of this process's pid namespace (/proc/self/ns/pid). */
export function pidNamespace(): { dev: bigint; ino: bigint } {
  const st = statSync('/proc/self/ns/pid', { bigint: true });
  return { dev: st.dev, ino: st.ino };
}

/**
 * This process's pid in the initial pid namespace, for the host-pid
 * fallback: the first of /proc/self/status's NSpid when /proc shows the
 * initial namespace's view; undefined when it cannot be known (a container
 * with its own /proc: only its own pid is visible).
 */
export function hostPid(pid: number = process.pid): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const ns = /^NSpid:\s*(.+)$/m.exec(status)?.[1]?.trim().split(/\s+/).map(Number);
  if (!ns || ns.length === 0) return pid; // kernels before 4.1 have no NSpid: no pid namespaces to speak of here
  if (ns.length > 1) return ns[0];
  // One level: the initial namespace, or a container's own /proc (which shows nothing above it).
  return isInitialNamespace() ? pid : undefined;
}

/** Whether this process lives in the initial pid namespace (its inode is the kernel's fixed PROC_PID_INIT_INO). */
function isInitialNamespace(): boolean {
  return statSync('/proc/self/ns/pid').ino === PROC_PID_INIT_INO;
}
/** include/linux/proc_ns.h: the initial pid namespace's inode number. */
const PROC_PID_INIT_INO = 0xeffffffc;

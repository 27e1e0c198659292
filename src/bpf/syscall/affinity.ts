// Which CPUs a thread may run on, and which it is on: sched_setaffinity(2)
// and sched_getaffinity(2) on pid 0 (the calling thread only, not the
// process), and sched_getcpu(3).
//
// `peers --cpu N` pins every single-thread read to one CPU, bpfbench's
// reading thread and each peer's process alike. A peer is spawned from the
// main thread, and a child inherits the affinity of the thread that forked
// it, so pinning the main thread pins every process it starts after that.
// Threads started earlier (V8's and libuv's) keep the CPUs they had.
import koffi from 'koffi';
import { UsageError } from '../../errors.js';
import { errnoName } from './bpf-errors.js';
import { libc } from './libc.js';

/** Room for 4096 CPUs (the kernel accepts a mask longer than its nr_cpu_ids). */
const MASK_BYTES = 512;

const setAffinity = libc.func('int sched_setaffinity(int pid, size_t len, const uint8_t *mask)') as (pid: number, len: number, mask: Uint8Array) => number;
const getAffinity = libc.func('int sched_getaffinity(int pid, size_t len, _Out_ uint8_t *mask)') as (pid: number, len: number, mask: Uint8Array) => number;
const getCpu = libc.func('int sched_getcpu(void)') as () => number;

/** The CPUs the calling thread may run on. */
export function threadCpus(): number[] {
  const mask = new Uint8Array(MASK_BYTES);
  if (getAffinity(0, MASK_BYTES, mask) < 0) throw new UsageError(`sched_getaffinity failed (${errnoName(koffi.errno())})`);
  const cpus: number[] = [];
  for (let i = 0; i < MASK_BYTES * 8; i++) if (mask[i >> 3]! & (1 << (i & 7))) cpus.push(i);
  return cpus;
}

/** Let the calling thread run only on these CPUs (it moves there before this returns). */
function setThreadCpus(cpus: readonly number[]): void {
  const mask = new Uint8Array(MASK_BYTES);
  for (const c of cpus) {
    if (!Number.isInteger(c) || c < 0 || c >= MASK_BYTES * 8) throw new UsageError(`CPU ${c} is not a CPU number`);
    mask[c >> 3]! |= 1 << (c & 7);
  }
  if (setAffinity(0, MASK_BYTES, mask) < 0) throw new UsageError(`cannot run on CPU ${cpus.join(',')}: sched_setaffinity failed (${errnoName(koffi.errno())})`);
}

/** The CPU the calling thread is on now. */
export function currentCpu(): number {
  return getCpu();
}

/** Pin the calling thread to one CPU (checked by the CLI: online, allowed); returns what undoes it. */
export function pinThreadTo(cpu: number): () => void {
  const allowed = threadCpus();
  setThreadCpus([cpu]);
  return () => setThreadCpus(allowed);
}

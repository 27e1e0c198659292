// The raw bpf(2) syscall through koffi, and the per-command call counters.
//
// koffi takes its fast path (~60 ns) because every parameter is an integer:
// attributes live in native memory (NativeBlock) and are passed as Number
// addresses.
import { arch } from 'node:process';
import koffi from 'koffi';
import { CMD_SLOTS, SYS_bpf_arm64, SYS_bpf_x86_64, cmdLabel } from './constants.js';
import { BpfError } from './bpf-errors.js';
import { close, syscall4 } from './libc.js';

/** This architecture's syscall number of bpf(2). */
export const SYS_bpf = arch === 'arm64' ? SYS_bpf_arm64 : SYS_bpf_x86_64;
const rawSyscall = syscall4;

/** Calls issued per command since the process started. Indexed by command number. */
export const callCounts = new Float64Array(CMD_SLOTS);

/**
 * bpf(cmd, attr, size). Returns the syscall's non-negative result, or
 * -errno on failure. Never throws and never allocates: hot loops call it.
 */
export function bpf(cmd: number, attr: number, size: number): number {
  callCounts[cmd]++;
  const r = rawSyscall(SYS_bpf, cmd, attr, size);
  return r >= 0 ? r : -koffi.errno();
}

/** bpf() that throws a BpfError on failure. For setup paths, not loops. */
export function bpfOrThrow(cmd: number, attr: number, size: number, detail?: string): number {
  const r = bpf(cmd, attr, size);
  if (r < 0) throw new BpfError(cmd, -r, detail);
  return r;
}

/** A copy of the counters, to subtract later. */
export function snapshotCalls(): Float64Array {
  return callCounts.slice();
}

/** Calls per command between a snapshot and now, keyed by bare command name. */
export function callsSince(before: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < CMD_SLOTS; i++) {
    const d = callCounts[i]! - before[i]!;
    if (d > 0) out[cmdLabel(i)] = d;
  }
  return out;
}

/** close(2) for fds the kernel handed us (maps, programs, links). */
export function closeFd(fd: number): void {
  if (fd >= 0) close(fd);
}

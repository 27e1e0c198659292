// The kernel's count of a process's syscalls, and of the time its bpf(2)
// calls spend in the kernel: the object's count_syscalls program on the
// sys_enter raw tracepoint, filtered to the target tgid (every thread),
// counting all syscalls and bpf(2) calls by command, and (when loaded) its
// time_bpf_calls program on sys_exit, adding each bpf(2) call's time from
// entry to exit to its command's total. Counters and configuration are
// mmapable arrays: reading the counters, or retargeting them, is a plain
// memory access, no syscall, so nothing of ours needs subtracting.
import { COUNTER_CMD_SLOTS, COUNTER_WRITER_SLOTS, CounterConfig, Counters, RawTracepointAttr } from '../syscall/attr.js';
import { Cmd } from '../syscall/constants.js';
import { BpfError } from '../syscall/bpf-errors.js';
import { MAP_FAILED, MAP_SHARED, PAGE_SIZE, PROT_READ, mmap, munmap } from '../syscall/libc.js';
import type { BpfObject } from './loader.js';
import { NativeBlock } from '../syscall/native-block.js';
import { SYS_bpf, bpf, closeFd } from '../syscall/syscall.js';
import { UsageError } from '../../errors.js';
import koffi from 'koffi';
import { type CounterIdentity, pidNamespace, hostPid } from './counter-identity.js';

/**
 * The sys_enter program: counts syscalls and bpf(2) calls by command, of the
 * process as its own pid namespace sees it (bpf_get_ns_current_pid_tgid), so
 * it counts inside a container as on the host.
 */
export const COUNTER_PROG = 'count_syscalls';
/** The same, by the pid of the initial namespace: for kernels without the namespace-aware helper (before 5.7). */
export const COUNTER_HOST_PROG = 'count_syscalls_host';
/** The sys_exit program: times bpf(2) calls. Optional: without it, no kernel time. */
export const COUNTER_EXIT_PROG = 'time_bpf_calls';
/** Both counter programs, for the loader's list of programs to load. */
export const COUNTER_PROGS = [COUNTER_PROG, COUNTER_EXIT_PROG] as const;
export const COUNTER_CONFIG_MAP = 'counter_config';
export const COUNTER_MAP = 'syscall_counters';

const PROT_WRITE = 2;

/** A reading of the counters. */
export interface KernelCounts {
  total: number;
  bpfTotal: number;
  /** bpf(2) calls, indexed by command number. */
  bpf: Float64Array;
  /**
   * ns spent inside bpf(2), indexed by command number: sys_enter to
   * sys_exit of each call, summed over the target's threads. Undefined when
   * the object's exit program is not loaded (kernel time unavailable).
   */
  bpfNs: Float64Array | undefined;
  /**
   * The bpf(2) calls of the threads named by countApart() (run --writers:
   * the writers), by command, counted apart from `bpf` and not timed. Every
   * other thread of the process is in `bpf`. Zero when none is named.
   */
  otherBpf: Float64Array;
  otherBpfTotal: number;
}

export function newKernelCounts(): KernelCounts {
  return { total: 0, bpfTotal: 0, bpf: new Float64Array(COUNTER_CMD_SLOTS), bpfNs: new Float64Array(COUNTER_CMD_SLOTS), otherBpf: new Float64Array(COUNTER_CMD_SLOTS), otherBpfTotal: 0 };
}

/** One single-entry mmapable array map, mapped into our memory. */
class Mapping {
  readonly view: DataView;
  private constructor(
    private addr: number,
    private readonly len: number,
  ) {
    this.view = new DataView(koffi.view(addr, len));
  }

  static of(fd: number, size: number, prot: number, what: string): Mapping {
    const len = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    const addr = mmap(0, len, prot, MAP_SHARED, fd, 0);
    if (addr === MAP_FAILED || addr === -1) throw new UsageError(`cannot mmap the ${what}: ${koffi.errno()}`);
    return new Mapping(addr, len);
  }

  u64(off: number): number {
    const v = this.view;
    return v.getUint32(off, true) + v.getUint32(off + 4, true) * 0x1_0000_0000;
  }

  unmap(): void {
    if (this.addr) {
      munmap(this.addr, this.len);
      this.addr = 0;
    }
  }
}

/**
 * Enabling a sys_enter (or sys_exit) tracepoint sends every syscall of the
 * machine through the kernel's slow path (~100 ns a syscall on this VM,
 * measured with an empty program too), so the counter is attached only
 * around the reads it audits: attach() before, detach() after, both outside
 * the timed window.
 */
export class SyscallCounter {
  private enterLink = -1;
  private exitLink = -1;
  private readonly enterFd: number;
  /** The exit program's fd, -1 when it is not loaded. */
  private readonly exitFd: number;
  private config: Mapping | undefined;
  private counters: Mapping | undefined;
  private readonly attr = new NativeBlock(64);
  private static readonly ENTER = 0;
  private static readonly EXIT = 32;

  /**
   * Prepares the object's counter programs to count process `tgid` (not
   * attached yet). The exit program (kernel time) is used when the object
   * loaded it.
   */
  constructor(obj: BpfObject, tgid: number = process.pid) {
    const configMap = obj.map(COUNTER_CONFIG_MAP);
    const countersMap = obj.map(COUNTER_MAP);
    const byNs = optionalProgramFd(obj, COUNTER_PROG);
    this.identity = byNs >= 0 ? 'pid-namespace' : 'host-pid';
    this.enterFd = byNs >= 0 ? byNs : obj.programFd(COUNTER_HOST_PROG);
    this.exitFd = optionalProgramFd(obj, COUNTER_EXIT_PROG);
    const mem = this.attr;
    try {
      this.config = Mapping.of(configMap.fd, CounterConfig.SIZE, PROT_READ | PROT_WRITE, 'syscall counter configuration');
      configMap.close(); // frees its scratch memory; the object keeps the fd
      this.counters = Mapping.of(countersMap.fd, Counters.SIZE, PROT_READ, 'syscall counters');
      countersMap.close();
      const cfg = this.config.view;
      cfg.setUint32(CounterConfig.bpf_nr, SYS_bpf, true);
      cfg.setBigUint64(CounterConfig.since, 0n, true);
      if (this.identity === 'pid-namespace') {
        const ns = pidNamespace();
        cfg.setBigUint64(CounterConfig.ns_dev, ns.dev, true);
        cfg.setBigUint64(CounterConfig.ns_ino, ns.ino, true);
      }
      this.target(tgid);

      // Two BPF_RAW_TRACEPOINT_OPEN attrs, each followed by its tracepoint's name.
      const { ENTER, EXIT } = SyscallCounter;
      mem.setU64(ENTER + RawTracepointAttr.name, mem.setCString(ENTER + RawTracepointAttr.SIZE, 'sys_enter'));
      mem.setU32(ENTER + RawTracepointAttr.prog_fd, this.enterFd);
      mem.setU64(EXIT + RawTracepointAttr.name, mem.setCString(EXIT + RawTracepointAttr.SIZE, 'sys_exit'));
      mem.setU32(EXIT + RawTracepointAttr.prog_fd, this.exitFd);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** How the kernel knows the process it counts (which enter program the object loaded). */
  readonly identity: CounterIdentity;

  /** The host-pid fallback's target: the initial namespace's pid of `tgid`, or one line of why it cannot be had. */
  private hostPidOf(tgid: number): number {
    const pid = hostPid(tgid);
    if (pid === undefined) {
      throw new UsageError(
        `the kernel count cannot tell this process apart: this kernel lacks bpf_get_ns_current_pid_tgid (Linux 5.7) and this process lives in a pid namespace whose host pid it cannot see (use --no-kernel-count)`,
      );
    }
    return pid;
  }

  /** Whether bpf(2) time is measured (the object loaded the exit program). */
  get timed(): boolean {
    return this.exitFd >= 0;
  }

  /**
   * Counts process `tgid` from now on (another process: a peer). A memory
   * write, no syscall; calls in flight in the previous target are not timed.
   */
  target(tgid: number): void {
    const cfg = this.config!.view;
    cfg.setUint32(CounterConfig.tgid, this.identity === 'pid-namespace' ? tgid : this.hostPidOf(tgid), true);
    if (this.exitLink >= 0) cfg.setBigUint64(CounterConfig.since, process.hrtime.bigint(), true);
  }

  /**
   * Counts the bpf(2) calls of threads `tids` of the target (its writers,
   * by the thread ids /proc/thread-self gives them) apart
   * (KernelCounts.otherBpf), and every other thread's, the reader's, as
   * before; [] (the default) counts all together. By identity, not by
   * "not the main thread": a sharded read's C threads are the reader's.
   * Memory writes, no syscall; the count is written last, so the enter
   * program never sees a slot it was not given.
   */
  countApart(tids: readonly number[]): void {
    if (tids.length > COUNTER_WRITER_SLOTS) throw new UsageError(`the kernel count can tell at most ${COUNTER_WRITER_SLOTS} writer threads apart, not ${tids.length}`);
    const cfg = this.config!.view;
    cfg.setUint32(CounterConfig.writers, 0, true);
    for (const [i, tid] of tids.entries()) cfg.setUint32(CounterConfig.writer_tids + 4 * i, this.identity === 'pid-namespace' ? tid : this.hostPidOf(tid), true);
    cfg.setUint32(CounterConfig.writers, tids.length, true);
  }

  /**
   * Attaches the programs: the exit program first, then the enter program,
   * so that neither attach is itself counted or timed
   * (BPF_RAW_TRACEPOINT_OPEN).
   */
  attach(): void {
    if (this.enterLink >= 0) return;
    if (this.exitFd >= 0) {
      // bpf_ktime_get_ns() is CLOCK_MONOTONIC, as is process.hrtime: a call
      // entered before this instant (and left pending by a detach) is stale.
      this.config!.view.setBigUint64(CounterConfig.since, process.hrtime.bigint(), true);
      this.exitLink = this.open(SyscallCounter.EXIT, 'sys_exit');
    }
    try {
      this.enterLink = this.open(SyscallCounter.ENTER, 'sys_enter');
    } catch (e) {
      this.detach();
      throw e;
    }
  }

  private open(at: number, tracepoint: string): number {
    const fd = bpf(Cmd.RAW_TRACEPOINT_OPEN, this.attr.addr + at, RawTracepointAttr.SIZE);
    if (fd < 0) throw new BpfError(Cmd.RAW_TRACEPOINT_OPEN, -fd, `attaching the syscall counter to ${tracepoint}`);
    return fd;
  }

  /**
   * Detaches the programs (closes the links), enter first. A call of
   * another thread in flight then stays entered but never exited: `since`
   * makes the next attach ignore it.
   */
  detach(): void {
    if (this.enterLink >= 0) {
      closeFd(this.enterLink);
      this.enterLink = -1;
    }
    if (this.exitLink >= 0) {
      closeFd(this.exitLink);
      this.exitLink = -1;
    }
    this.config?.view.setBigUint64(CounterConfig.since, 0n, true);
  }

  /** Reads the counters into `out` (no syscall, no allocation). */
  read(out: KernelCounts): KernelCounts {
    const c = this.counters!;
    out.total = c.u64(Counters.total);
    out.bpfTotal = c.u64(Counters.bpf_total);
    for (let i = 0; i < COUNTER_CMD_SLOTS; i++) out.bpf[i] = c.u64(Counters.bpf_cmd + 8 * i);
    out.otherBpfTotal = c.u64(Counters.other_bpf_total);
    for (let i = 0; i < COUNTER_CMD_SLOTS; i++) out.otherBpf[i] = c.u64(Counters.other_bpf_cmd + 8 * i);
    if (this.exitFd < 0) {
      out.bpfNs = undefined;
    } else {
      const ns = (out.bpfNs ??= new Float64Array(COUNTER_CMD_SLOTS)); // allocated by newKernelCounts()
      for (let i = 0; i < COUNTER_CMD_SLOTS; i++) ns[i] = c.u64(Counters.bpf_ns + 8 * i);
    }
    return out;
  }

  /** Detaches the programs and unmaps the counters. */
  close(): void {
    this.detach();
    this.attr.free();
    this.config?.unmap();
    this.config = undefined;
    this.counters?.unmap();
    this.counters = undefined;
  }
}

/** The fd of a program the object may not have loaded (autoload off): -1 then. */
function optionalProgramFd(obj: BpfObject, name: string): number {
  try {
    return obj.programFd(name);
  } catch {
    return -1;
  }
}

// The kernel's count of this process's syscalls: the object's count_syscalls
// program on the sys_enter raw tracepoint, filtered to our tgid (every
// thread), counting all syscalls and bpf(2) calls by command into an
// mmapable array. Reading the counters is a plain memory read through the
// mapping: no syscall, so nothing of ours needs subtracting.
import { RawTracepointAttr, ATTR_BLOCK } from './attr.js';
import { CMD_SLOTS, Cmd } from './constants.js';
import { BpfError, UserError } from './errors.js';
import { MAP_FAILED, MAP_SHARED, PAGE_SIZE, PROT_READ, mmap, munmap } from './libc.js';
import type { BpfObject } from './loader.js';
import { NativeBlock } from './native.js';
import { SYS_bpf, bpf, closeFd } from './syscall.js';
import koffi from 'koffi';

export const COUNTER_PROG = 'count_syscalls';
export const COUNTER_CONFIG_MAP = 'counter_config';
export const COUNTER_MAP = 'syscall_counters';

/** struct counters (bpf/bench.bpf.c) */
export const Counters = {
  total: 0,
  bpf_total: 8,
  bpf_cmd: 16, // u64[CMD_SLOTS]
  SIZE: 16 + 8 * CMD_SLOTS,
} as const;

/** A reading of the counters. */
export interface KernelCounts {
  total: number;
  bpfTotal: number;
  /** bpf(2) calls, indexed by command number. */
  bpf: Float64Array;
}

export function newKernelCounts(): KernelCounts {
  return { total: 0, bpfTotal: 0, bpf: new Float64Array(CMD_SLOTS) };
}

/**
 * Enabling a sys_enter tracepoint sends every syscall of the machine through
 * the kernel's slow path (~100 ns a syscall on this VM, measured with an
 * empty program too), so the counter is attached only around the reads it
 * audits: attach() before, detach() after, both outside the timed window.
 */
export class SyscallCounter {
  private linkFd = -1;
  private addr = 0;
  private readonly len = Math.ceil(Counters.SIZE / PAGE_SIZE) * PAGE_SIZE;
  private view: DataView | undefined;
  private readonly progFd: number;
  private readonly attr = new NativeBlock(ATTR_BLOCK + 64);

  /** Prepares the object's counter program to count process `tgid` (not attached yet). */
  constructor(obj: BpfObject, tgid: number = process.pid) {
    const config = obj.map(COUNTER_CONFIG_MAP);
    const counters = obj.map(COUNTER_MAP);
    this.progFd = obj.programFd(COUNTER_PROG);
    const mem = this.attr;
    try {
      // counter_config[0] = { tgid, bpf_nr }
      mem.setU32(ATTR_BLOCK + 8, tgid);
      mem.setU32(ATTR_BLOCK + 12, SYS_bpf);
      config.updateElem(mem.addr + ATTR_BLOCK, mem.addr + ATTR_BLOCK + 8);
      config.close(); // frees its scratch memory; the object keeps the fd

      const addr = mmap(0, this.len, PROT_READ, MAP_SHARED, counters.fd, 0);
      if (addr === MAP_FAILED || addr === -1) throw new UserError(`cannot mmap the syscall counters: ${koffi.errno()}`);
      this.addr = addr;
      this.view = new DataView(koffi.view(addr, this.len));

      mem.zero();
      const name = mem.setCString(ATTR_BLOCK, 'sys_enter');
      mem.setU64(RawTracepointAttr.name, name);
      mem.setU32(RawTracepointAttr.prog_fd, this.progFd);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Attaches the program to sys_enter (BPF_RAW_TRACEPOINT_OPEN). */
  attach(): void {
    if (this.linkFd >= 0) return;
    const fd = bpf(Cmd.RAW_TRACEPOINT_OPEN, this.attr.addr, RawTracepointAttr.SIZE);
    if (fd < 0) throw new BpfError(Cmd.RAW_TRACEPOINT_OPEN, -fd, 'attaching the syscall counter to sys_enter');
    this.linkFd = fd;
  }

  /** Detaches it (closes the link). */
  detach(): void {
    if (this.linkFd >= 0) {
      closeFd(this.linkFd);
      this.linkFd = -1;
    }
  }

  private u64(off: number): number {
    const v = this.view!;
    return v.getUint32(off, true) + v.getUint32(off + 4, true) * 0x1_0000_0000;
  }

  /** Reads the counters into `out` (no syscall). */
  read(out: KernelCounts): KernelCounts {
    out.total = this.u64(Counters.total);
    out.bpfTotal = this.u64(Counters.bpf_total);
    for (let i = 0; i < CMD_SLOTS; i++) out.bpf[i] = this.u64(Counters.bpf_cmd + 8 * i);
    return out;
  }

  /** Detaches the program and unmaps the counters. */
  close(): void {
    this.detach();
    this.attr.free();
    if (this.addr) {
      munmap(this.addr, this.len);
      this.addr = 0;
      this.view = undefined;
    }
  }
}

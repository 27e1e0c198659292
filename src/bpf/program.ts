// Running BPF programs from user space: BPF_PROG_TEST_RUN, and the fill
// program's context layout (mirrors struct fill_ctx in bpf/bench.bpf.c).
import { TestRunAttr, ATTR_BLOCK } from './attr.js';
import { Cmd } from './constants.js';
import { BpfError } from './errors.js';
import { NativeBlock } from './native.js';
import { bpf } from './syscall.js';

/** struct fill_ctx */
export const FillCtx = {
  start: 0,
  count: 4,
  value: 8,
  flags: 12,
  err: 16,
  done: 20,
  SIZE: 24,
} as const;

/** bpf_loop runs at most this many iterations per call. */
export const BPF_LOOP_MAX = 1 << 23;

/** The in-kernel filler: a BPF_PROG_TYPE_SYSCALL program run with PROG_TEST_RUN. */
export class FillProgram {
  private readonly mem = new NativeBlock(ATTR_BLOCK + FillCtx.SIZE);
  private readonly ctx = ATTR_BLOCK;

  constructor(progFd: number) {
    const m = this.mem;
    m.setU32(TestRunAttr.prog_fd, progFd);
    m.setU32(TestRunAttr.ctx_size_in, FillCtx.SIZE);
    m.setU64(TestRunAttr.ctx_in, m.addr + this.ctx);
  }

  /**
   * Writes keys start..start+count-1 with `value`. Returns the number written;
   * throws BpfError (command PROG_TEST_RUN or the map update's errno) on failure.
   */
  fill(start: number, count: number, value: number, flags = 0): number {
    if (count > BPF_LOOP_MAX) throw new RangeError(`fill count ${count} > ${BPF_LOOP_MAX}`);
    const m = this.mem;
    m.setU32(this.ctx + FillCtx.start, start);
    m.setU32(this.ctx + FillCtx.count, count);
    m.setU32(this.ctx + FillCtx.value, value >>> 0);
    m.setU32(this.ctx + FillCtx.flags, flags);
    m.setU32(this.ctx + FillCtx.err, 0);
    m.setU32(this.ctx + FillCtx.done, 0);
    const r = bpf(Cmd.PROG_TEST_RUN, m.addr, TestRunAttr.SIZE);
    if (r < 0) throw new BpfError(Cmd.PROG_TEST_RUN, -r, 'running the fill program');
    const err = m.view.getInt32(this.ctx + FillCtx.err, true);
    if (err < 0) throw new BpfError('UPDATE_ELEM (in kernel)', -err, `fill stopped after ${m.getU32(this.ctx + FillCtx.done)} of ${count} keys from ${start}`);
    return m.getU32(this.ctx + FillCtx.done);
  }

  free(): void {
    this.mem.free();
  }
}

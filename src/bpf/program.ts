// Running BPF programs from user space: BPF_PROG_TEST_RUN of the object's
// fill program, whose context is struct fill_ctx (FillCtx in attr.ts).
import { ATTR_BLOCK, FillCtx, TestRunAttr } from './attr.js';
import { Cmd } from './constants.js';
import { BpfError } from './errors.js';
import { NativeBlock } from './native.js';
import { bpf } from './syscall.js';

/** bpf_loop runs at most this many iterations per call. */
export const BPF_LOOP_MAX = 1 << 23;

/**
 * How one fill call failed, in numbers only: a thread that is not the
 * caller's hands these over (shared memory), and the caller rebuilds the
 * same error with fillError().
 */
export interface FillFailure {
  /** true: PROG_TEST_RUN itself failed; false: the map update inside it did. */
  run: boolean;
  errno: number;
  start: number;
  count: number;
  /** Keys written by the failing call before it stopped. */
  done: number;
}

/** The error a failed fill call throws (the same text whichever thread ran it). */
export function fillError(f: FillFailure): BpfError {
  if (f.run) return new BpfError(Cmd.PROG_TEST_RUN, f.errno, 'running the fill program');
  return new BpfError('UPDATE_ELEM (in kernel)', f.errno, `fill stopped after ${f.done} of ${f.count} keys from ${f.start}`);
}

/**
 * The in-kernel filler: a BPF_PROG_TYPE_SYSCALL program run with
 * PROG_TEST_RUN. One instance per thread (it owns its attr and context);
 * several threads may run the program at once on disjoint key ranges.
 */
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
   * Writes keys start..start+count-1 with `value` (one PROG_TEST_RUN).
   * Returns undefined when all were written, else how it failed.
   */
  tryFill(start: number, count: number, value: number, flags = 0): FillFailure | undefined {
    if (count > BPF_LOOP_MAX) throw new RangeError(`fill count ${count} > ${BPF_LOOP_MAX}`);
    const m = this.mem;
    m.setU32(this.ctx + FillCtx.start, start);
    m.setU32(this.ctx + FillCtx.count, count);
    m.setU32(this.ctx + FillCtx.value, value >>> 0);
    m.setU32(this.ctx + FillCtx.flags, flags);
    m.setU32(this.ctx + FillCtx.err, 0);
    m.setU32(this.ctx + FillCtx.done, 0);
    const r = bpf(Cmd.PROG_TEST_RUN, m.addr, TestRunAttr.SIZE);
    if (r < 0) return { run: true, errno: -r, start, count, done: 0 };
    const err = m.view.getInt32(this.ctx + FillCtx.err, true);
    if (err < 0) return { run: false, errno: -err, start, count, done: m.getU32(this.ctx + FillCtx.done) };
    return undefined;
  }

  /**
   * Writes keys start..start+count-1 with `value`. Returns the number written;
   * throws BpfError (command PROG_TEST_RUN or the map update's errno) on failure.
   */
  fill(start: number, count: number, value: number, flags = 0): number {
    const failure = this.tryFill(start, count, value, flags);
    if (failure) throw fillError(failure);
    return this.mem.getU32(this.ctx + FillCtx.done);
  }

  free(): void {
    this.mem.free();
  }
}

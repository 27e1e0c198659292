// Running BPF programs from user space: BPF_PROG_TEST_RUN of the object's
// fill program, whose context is struct fill_ctx (FillCtx in attr.ts).
import { ATTR_BLOCK, FillCtx, TestRunAttr, WriterCtx } from '../syscall/attr.js';
import { Cmd } from '../syscall/constants.js';
import { BpfError } from '../syscall/bpf-errors.js';
import { NativeBlock } from '../syscall/native-block.js';
import { bpf } from '../syscall/syscall.js';

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

/** The writers' key space (harness/consistency.ts KeySpace), as the program takes it. */
export interface WriterSpace {
  entries: number;
  volatileEvery: number;
  fresh: number;
  value: number;
}

/** One writer call's outcome, overwritten by the next (no allocation per call). */
export interface WriterCounts {
  updates: number;
  deletes: number;
  inserts: number;
  misses: number;
  full: number;
}

/** The writer context's per-call counts (and error), zeroed before each call. */
const WRITER_OUT = [WriterCtx.updates, WriterCtx.deletes, WriterCtx.inserts, WriterCtx.misses, WriterCtx.full, WriterCtx.err] as const;

/**
 * The in-kernel writer (run --writers): the object's write_map program,
 * run with PROG_TEST_RUN. One instance per thread (it owns its attr and
 * context, and its stream's random state).
 */
export class WriterProgram {
  private readonly mem = new NativeBlock(ATTR_BLOCK + WriterCtx.SIZE);
  private readonly ctx = ATTR_BLOCK;
  /** What the last call did. */
  readonly last: WriterCounts = { updates: 0, deletes: 0, inserts: 0, misses: 0, full: 0 };

  constructor(progFd: number, space: WriterSpace, seed: number) {
    const m = this.mem;
    m.setU32(TestRunAttr.prog_fd, progFd);
    m.setU32(TestRunAttr.ctx_size_in, WriterCtx.SIZE);
    m.setU64(TestRunAttr.ctx_in, m.addr + this.ctx);
    m.setU32(this.ctx + WriterCtx.entries, space.entries);
    m.setU32(this.ctx + WriterCtx.volatile_every, space.volatileEvery);
    m.setU32(this.ctx + WriterCtx.fresh, space.fresh);
    m.setU32(this.ctx + WriterCtx.value, space.value >>> 0);
    // A nonzero xorshift64 state, different per stream.
    m.view.setBigUint64(this.ctx + WriterCtx.seed, (BigInt(seed >>> 0) << 32n) | 0x2545f491n, true);
  }

  private call(mode: number, ops: number, mix: number, start: number): void {
    if (ops > BPF_LOOP_MAX) throw new RangeError(`writer ops ${ops} > ${BPF_LOOP_MAX}`);
    const m = this.mem;
    const c = this.ctx;
    m.setU32(c + WriterCtx.ops, ops);
    m.setU32(c + WriterCtx.mix, mix);
    m.setU32(c + WriterCtx.mode, mode);
    m.setU32(c + WriterCtx.start, start);
    // The counts are per call: the program starts them from the context (bench.bpf.c says why).
    for (const f of WRITER_OUT) m.view.setBigUint64(c + f, 0n, true);
    const r = bpf(Cmd.PROG_TEST_RUN, m.addr, TestRunAttr.SIZE);
    if (r < 0) throw new BpfError(Cmd.PROG_TEST_RUN, -r, 'running the writer program');
    const err = Number(m.view.getBigInt64(c + WriterCtx.err, true));
    if (err < 0) throw new BpfError('writer (in kernel)', -err, 'a map update or delete failed');
    const l = this.last;
    const v = m.view;
    l.updates = Number(v.getBigUint64(c + WriterCtx.updates, true));
    l.deletes = Number(v.getBigUint64(c + WriterCtx.deletes, true));
    l.inserts = Number(v.getBigUint64(c + WriterCtx.inserts, true));
    l.misses = Number(v.getBigUint64(c + WriterCtx.misses, true));
    l.full = Number(v.getBigUint64(c + WriterCtx.full, true));
  }

  /** `ops` random operations of `mix` (WriteBit) on the volatile keys; `last` says what they did. */
  run(ops: number, mix: number): WriterCounts {
    this.call(0, ops, mix, 0);
    return this.last;
  }

  /** The map back to what the loader wrote: every volatile loaded key present with the value, every fresh key absent. */
  restore(space: WriterSpace): void {
    const slots = Math.ceil(space.entries / space.volatileEvery) + space.fresh;
    for (let start = 0; start < slots; start += BPF_LOOP_MAX >> 1) this.call(1, Math.min(BPF_LOOP_MAX >> 1, slots - start), 0, start);
  }

  free(): void {
    this.mem.free();
  }
}

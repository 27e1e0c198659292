// The in-kernel fill on every CPU: keys 0..N-1 are split into one
// contiguous range per thread, and each thread runs its own stream of
// BPF_PROG_TEST_RUN calls of the fill program over its range (concurrent
// runs of one syscall program into one map work). This thread runs the
// first range and the others run in worker threads (fill-worker.ts); the
// fill stays synchronous: this thread blocks on Atomics.wait for the
// workers, which report through shared memory (progress, their own count
// of their calls, the first failure).
import { availableParallelism } from 'node:os';
import { CMD_SLOTS, UpdateFlag } from '../../bpf/syscall/constants.js';
import { possibleCpus } from '../../bpf/maps/cpus.js';
import { FillProgram, fillError, type FillFailure } from '../../bpf/programs/program.js';
import { callCounts, snapshotCalls } from '../../bpf/syscall/syscall.js';
import { InvalidInputError, InvariantError } from '../../errors.js';
import type { FillTarget } from './fill.js';
import type { Progress } from '../measuring/progress.js';
import { BOARD_CTL, BOARD_FIELD, startWorker, WorkerBoard, type BoardLayout } from '../writers/worker-board.js';

/**
 * Keys written per PROG_TEST_RUN call (progress granularity). A call cannot
 * be interrupted: SIGINT or SIGTERM during the fill stops it after the calls
 * in flight, so each stays short (~40 ms here; 1Mi keys a call took up to
 * 2.6 s to stop on a busy machine).
 */
export const KEYS_PER_FILL_CALL = 1 << 17;
const STEP = KEYS_PER_FILL_CALL;
/** A thread is worth starting for this many keys or more. */
const KEYS_PER_THREAD = 1 << 20;

/** At most this many threads fill at once (each worker costs a V8 isolate). */
export const MAX_FILL_THREADS = 16;

/**
 * Threads for an in-kernel fill of `entries` keys: one per CPU this process
 * may run on, at most MAX_FILL_THREADS, and no more than the PROG_TEST_RUN
 * calls one thread would make (a worker costs ~0.1 s to start).
 */
export function fillThreads(entries: number): number {
  return Math.max(1, Math.min(possibleCpus(), availableParallelism(), MAX_FILL_THREADS, Math.ceil(entries / KEYS_PER_THREAD)));
}

/** Keys 0..n-1 as `threads` contiguous ranges [start, end) of nearly equal size. */
export function splitRange(n: number, threads: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (let i = 0; i < threads; i++) out.push({ start: Math.floor((i * n) / threads), end: Math.floor(((i + 1) * n) / threads) });
  return out;
}

/** What a worker thread is given: its range and the shared board. */
export interface FillWorkerData {
  board: SharedArrayBuffer;
  index: number;
  progFd: number;
  value: number;
  flags: number;
  start: number;
  end: number;
}

enum State {
  idle = 0,
  running = 1,
  finished = 2,
  failed = 3,
  crashed = 4,
}

// The board (worker-board.ts): per thread, keys written, its failure and its
// own count of its calls; the stop, the finished count and the first failure.
const CTL_STOP = BOARD_CTL; // set: every stream stops before its next call
const CTL_FINISHED = BOARD_CTL + 1; // threads finished (Atomics.notify on change)
const CTL_FIRST_FAILED = BOARD_CTL + 2; // 1 + index of the first thread whose call failed, 0 if none
const S_DONE = BOARD_FIELD; // keys written so far
const S_FAIL = BOARD_FIELD + 1; // FillFailure: run, errno, start, count, done
const S_CALLS = BOARD_FIELD + 6; // bpf calls by command, this thread's own count
const LAYOUT: BoardLayout = { ctlWords: 3, fields: 6 + CMD_SLOTS, msgBytes: 1024 };

class FillBoard extends WorkerBoard {
  constructor(sab: SharedArrayBuffer) {
    super(sab, LAYOUT);
  }

  static create(threads: number): FillBoard {
    return new FillBoard(WorkerBoard.memory(threads, LAYOUT));
  }

  get stopped(): boolean {
    return Atomics.load(this.ctl, CTL_STOP) !== 0;
  }

  stop(): void {
    Atomics.store(this.ctl, CTL_STOP, 1);
  }

  /** Keys written by every thread so far (for progress). */
  done(): number {
    let n = 0;
    for (let i = 0; i < this.n; i++) n += this.get(i, S_DONE);
    return n;
  }

  addDone(i: number, n: number): void {
    this.add(i, S_DONE, n);
  }

  fail(i: number, f: FillFailure): void {
    [f.run ? 1 : 0, f.errno, f.start, f.count, f.done].forEach((v, k) => {
      this.set(i, S_FAIL + k, v);
    });
    this.setState(i, State.failed);
    Atomics.compareExchange(this.ctl, CTL_FIRST_FAILED, 0, i + 1);
    this.stop();
  }

  failure(i: number): FillFailure {
    const f = (k: number) => this.get(i, S_FAIL + k);
    return { run: f(0) === 1, errno: f(1), start: f(2), count: f(3), done: f(4) };
  }

  firstFailed(): number {
    return Atomics.load(this.ctl, CTL_FIRST_FAILED) - 1;
  }

  crashed(i: number, message: string): void {
    this.crash(i, message, State.crashed);
    this.stop();
  }

  /** Records this thread's own count of its calls since `before`. */
  setCalls(i: number, before: Float64Array): void {
    for (let c = 0; c < CMD_SLOTS; c++) this.set(i, S_CALLS + c, callCounts[c]! - before[c]!);
  }

  calls(i: number, c: number): number {
    return this.get(i, S_CALLS + c);
  }

  /** The last thing a thread does: wakes the waiting thread. */
  finish(i: number): void {
    if (this.state(i) === State.running) this.setState(i, State.finished);
    Atomics.add(this.ctl, CTL_FINISHED, 1);
    Atomics.notify(this.ctl, CTL_FINISHED);
  }

  finished(): number {
    return Atomics.load(this.ctl, CTL_FINISHED);
  }
}

/** One thread's stream: keys [start, end) in calls of STEP keys, until done, a failure, or a stop. */
function runStream(board: FillBoard, i: number, prog: FillProgram, start: number, end: number, value: number, flags: number, afterCall?: () => void): void {
  const before = snapshotCalls();
  board.setState(i, State.running);
  try {
    for (let s = start; s < end && !board.stopped; s += STEP) {
      const count = Math.min(STEP, end - s);
      const failure = prog.tryFill(s, count, value, flags);
      if (failure) {
        board.fail(i, failure);
        break;
      }
      board.addDone(i, count);
      afterCall?.();
    }
  } finally {
    board.setCalls(i, before);
  }
}

/** A worker thread's whole life (fill-worker.ts): its stream, then finish, whatever happens. */
export function runFillWorker(d: FillWorkerData): void {
  const board = new FillBoard(d.board);
  try {
    board.recordTid(d.index);
    const prog = new FillProgram(d.progFd);
    try {
      runStream(board, d.index, prog, d.start, d.end, d.value, d.flags);
    } finally {
      prog.free();
    }
  } catch (e) {
    board.crashed(d.index, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  } finally {
    board.finish(d.index);
  }
}

/** A worker that has not started within this time is given up on. */
const WORKER_START_MS = 60_000;
/** How long a finished worker may take to be gone (then the fill returns anyway). */
const WORKER_EXIT_MS = 5_000;
/** Progress is refreshed this often while this thread waits for the others. */
const WAIT_SLICE_MS = 100;

/** Fills t.map in the kernel on fillThreads() threads; returns the bpf calls each thread made (this thread first). */
export function fillProg(t: FillTarget, progress: Progress): number[] {
  if (t.fillProgFd === undefined) throw new InvariantError('fill program not loaded');
  const value = t.pattern.shape.constant;
  if (value === undefined) throw new InvalidInputError('--fill prog writes the u32 → u32 hash map of the published experiment only; use --fill batch');
  const threads = t.threads ?? fillThreads(t.entries);
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`fill threads must be a positive integer, not ${threads}`);
  const ranges = splitRange(t.entries, threads);
  const board = FillBoard.create(threads);
  const flags = UpdateFlag.ANY;
  const spawned = process.hrtime.bigint();

  for (let i = 1; i < threads; i++) {
    const data: FillWorkerData = { board: board.sab, index: i, progFd: t.fillProgFd, value, flags, ...ranges[i]! };
    try {
      startWorker(new URL('./fill-worker.js', import.meta.url), data);
    } catch (e) {
      board.crashed(i, `cannot start a worker thread: ${(e as Error).message}`);
      board.finish(i);
    }
  }

  // This thread's own stream; whatever happens to it, the workers are waited for.
  let ownError: unknown;
  try {
    const prog = new FillProgram(t.fillProgFd);
    try {
      runStream(board, 0, prog, ranges[0]!.start, ranges[0]!.end, value, flags, () => progress.update(board.done()));
    } finally {
      prog.free();
    }
  } catch (e) {
    ownError = e;
    board.stop();
  } finally {
    board.finish(0);
  }

  // Wait for the workers, refreshing the progress.
  for (let seen = board.finished(); seen < threads; seen = board.finished()) {
    Atomics.wait(board.ctl, CTL_FINISHED, seen, WAIT_SLICE_MS);
    progress.update(board.done());
    if (Number(process.hrtime.bigint() - spawned) > WORKER_START_MS * 1e6) {
      const late = Array.from({ length: threads }, (_, i) => i).find((i) => board.state(i) === State.idle);
      if (late !== undefined) {
        board.stop();
        throw new InvariantError(`fill thread ${late} did not start within ${WORKER_START_MS / 1000} s`);
      }
    }
  }

  progress.update(board.done());
  // The worker threads gone: one tearing down would make syscalls an audit right after the fill counts.
  board.awaitExit(WORKER_EXIT_MS);

  // The workers' own counts join this thread's: the process's count of its bpf calls.
  const callsByThread: number[] = [];
  for (let i = 0; i < threads; i++) {
    let n = 0;
    for (let c = 0; c < CMD_SLOTS; c++) {
      const calls = board.calls(i, c);
      if (i > 0) callCounts[c] += calls;
      n += calls;
    }
    callsByThread.push(n);
  }

  if (ownError !== undefined) throw ownError;
  const failed = board.firstFailed();
  if (failed >= 0) throw fillError(board.failure(failed));
  for (let i = 0; i < threads; i++) if (board.state(i) === State.crashed) throw new InvariantError(`fill thread ${i} failed: ${board.message(i)}`);
  return callsByThread;
}

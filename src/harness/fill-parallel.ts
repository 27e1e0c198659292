// The in-kernel fill on every CPU: keys 0..N-1 are split into one
// contiguous range per thread, and each thread runs its own stream of
// BPF_PROG_TEST_RUN calls of the fill program over its range (concurrent
// runs of one syscall program into one map work). This thread runs the
// first range and the others run in worker threads (fill-worker.ts); the
// fill stays synchronous: this thread blocks on Atomics.wait for the
// workers, which report through shared memory (progress, their own count
// of their calls, the first failure).
import { existsSync, readlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CMD_SLOTS, UpdateFlag } from '../bpf/constants.js';
import { possibleCpus } from '../bpf/cpus.js';
import { FillProgram, fillError, type FillFailure } from '../bpf/program.js';
import { callCounts, snapshotCalls } from '../bpf/syscall.js';
import { InvalidInputError, InvariantError } from '../errors.js';
import type { FillTarget } from './fill.js';
import type { Progress } from './progress.js';

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

// The board: one SharedArrayBuffer. Control words (Int32, Atomics), then one
// slot of Float64s per thread (written by that thread only), then one
// message area per thread (a crash's text).
const CTL_STOP = 0; // set: every stream stops before its next call
const CTL_FINISHED = 1; // threads finished (Atomics.notify on change)
const CTL_FIRST_FAILED = 2; // 1 + index of the first thread whose call failed, 0 if none
const CTL_SLEEP = 3; // never changes: Atomics.wait on it sleeps
const CTL_BYTES = 16;
const S_STATE = 0;
const S_DONE = 1; // keys written so far
const S_FAIL = 2; // FillFailure: run, errno, start, count, done
const S_TID = 7; // the thread's kernel tid
const S_CALLS = 8; // bpf calls by command, this thread's own count
const SLOT = S_CALLS + CMD_SLOTS;
const MSG_BYTES = 1024;

class FillBoard {
  readonly ctl: Int32Array;
  readonly nums: Float64Array;
  readonly msg: Uint8Array;
  readonly threads: number;

  constructor(readonly sab: SharedArrayBuffer) {
    this.threads = (sab.byteLength - CTL_BYTES) / (SLOT * 8 + MSG_BYTES);
    this.ctl = new Int32Array(sab, 0, CTL_BYTES / 4);
    this.nums = new Float64Array(sab, CTL_BYTES, this.threads * SLOT);
    this.msg = new Uint8Array(sab, CTL_BYTES + this.threads * SLOT * 8, this.threads * MSG_BYTES);
  }

  static create(threads: number): FillBoard {
    return new FillBoard(new SharedArrayBuffer(CTL_BYTES + threads * (SLOT * 8 + MSG_BYTES)));
  }

  state(i: number): State {
    return this.nums[i * SLOT + S_STATE]! as State;
  }

  setState(i: number, s: State): void {
    this.nums[i * SLOT + S_STATE] = s;
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
    for (let i = 0; i < this.threads; i++) n += this.nums[i * SLOT + S_DONE]!;
    return n;
  }

  addDone(i: number, n: number): void {
    this.nums[i * SLOT + S_DONE] += n;
  }

  fail(i: number, f: FillFailure): void {
    const b = i * SLOT + S_FAIL;
    this.nums[b] = f.run ? 1 : 0;
    this.nums[b + 1] = f.errno;
    this.nums[b + 2] = f.start;
    this.nums[b + 3] = f.count;
    this.nums[b + 4] = f.done;
    this.setState(i, State.failed);
    Atomics.compareExchange(this.ctl, CTL_FIRST_FAILED, 0, i + 1);
    this.stop();
  }

  failure(i: number): FillFailure {
    const b = i * SLOT + S_FAIL;
    const n = this.nums;
    return { run: n[b] === 1, errno: n[b + 1]!, start: n[b + 2]!, count: n[b + 3]!, done: n[b + 4]! };
  }

  firstFailed(): number {
    return Atomics.load(this.ctl, CTL_FIRST_FAILED) - 1;
  }

  crash(i: number, message: string): void {
    const bytes = new TextEncoder().encode(message).subarray(0, MSG_BYTES - 1);
    this.msg.set(bytes, i * MSG_BYTES);
    this.msg[i * MSG_BYTES + bytes.length] = 0;
    this.setState(i, State.crashed);
    this.stop();
  }

  message(i: number): string {
    const area = this.msg.subarray(i * MSG_BYTES, (i + 1) * MSG_BYTES);
    const end = area.indexOf(0);
    return new TextDecoder().decode(area.slice(0, end < 0 ? area.length : end));
  }

  /** Records this thread's own count of its calls since `before`. */
  setCalls(i: number, before: Float64Array): void {
    for (let c = 0; c < CMD_SLOTS; c++) this.nums[i * SLOT + S_CALLS + c] = callCounts[c]! - before[c]!;
  }

  calls(i: number, c: number): number {
    return this.nums[i * SLOT + S_CALLS + c]!;
  }

  tid(i: number): number {
    return this.nums[i * SLOT + S_TID]!;
  }

  setTid(i: number, tid: number): void {
    this.nums[i * SLOT + S_TID] = tid;
  }

  sleep(ms: number): void {
    Atomics.wait(this.ctl, CTL_SLEEP, 0, ms);
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
    board.setTid(d.index, threadTid());
    const prog = new FillProgram(d.progFd);
    try {
      runStream(board, d.index, prog, d.start, d.end, d.value, d.flags);
    } finally {
      prog.free();
    }
  } catch (e) {
    board.crash(d.index, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  } finally {
    board.finish(d.index);
  }
}

/** This thread's kernel tid (/proc/thread-self is /proc/<tgid>/task/<tid>). */
function threadTid(): number {
  return Number(readlinkSync('/proc/thread-self').split('/').pop());
}

/**
 * Waits until the worker threads are gone from the kernel's view: a worker
 * still tearing down makes syscalls of this process (~80 here), which a
 * syscall audit right after the fill would count.
 */
function awaitExit(board: FillBoard, timeoutMs: number): void {
  const t0 = process.hrtime.bigint();
  for (let i = 1; i < board.threads; i++) {
    const tid = board.tid(i);
    if (!tid) continue;
    while (existsSync(`/proc/self/task/${tid}`) && Number(process.hrtime.bigint() - t0) < timeoutMs * 1e6) board.sleep(1);
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
      const w = new Worker(new URL('./fill-worker.js', import.meta.url), { workerData: data });
      // The board reports the outcome; 'error' could only repeat it later.
      w.on('error', () => {});
      w.unref();
    } catch (e) {
      board.crash(i, `cannot start a worker thread: ${(e as Error).message}`);
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
  awaitExit(board, WORKER_EXIT_MS);

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

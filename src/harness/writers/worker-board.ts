// The shared-memory board of bpfbench's worker threads (the parallel fill,
// fill-parallel.ts, and the writers, writers.ts): one SharedArrayBuffer the
// main thread blocks on with Atomics.wait while the workers report in it.
// Control words (Int32, Atomics) first, then one slot of Float64s per
// worker (written by that worker only), then one message area per worker
// (a crash's text). Each slot starts with the worker's state and its kernel
// tid; the control words start with an event counter (bumped on every state
// change: wait on it for one) and a word that never changes (sleep on it).
// Each user adds its own words and fields after these.
import { existsSync, readlinkSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

const CTL_EVENTS = 0;
const CTL_SLEEP = 1;
/** The first control word a board's user may define. */
export const BOARD_CTL = 2;

const S_STATE = 0;
const S_TID = 1;
/** The first slot field a board's user may define. */
export const BOARD_FIELD = 2;

/** A board's shape: its user's control words and slot fields (counted from BOARD_CTL and BOARD_FIELD), and each worker's message bytes. */
export interface BoardLayout {
  ctlWords: number;
  fields: number;
  msgBytes: number;
}

export class WorkerBoard {
  readonly ctl: Int32Array;
  readonly nums: Float64Array;
  readonly msg: Uint8Array;
  /** Workers (slots) on the board. */
  readonly n: number;
  private readonly slot: number;
  private readonly msgBytes: number;

  constructor(
    readonly sab: SharedArrayBuffer,
    layout: BoardLayout,
  ) {
    const ctlBytes = WorkerBoard.ctlBytes(layout);
    this.slot = BOARD_FIELD + layout.fields;
    this.msgBytes = layout.msgBytes;
    this.n = (sab.byteLength - ctlBytes) / (this.slot * 8 + this.msgBytes);
    this.ctl = new Int32Array(sab, 0, ctlBytes / 4);
    this.nums = new Float64Array(sab, ctlBytes, this.n * this.slot);
    this.msg = new Uint8Array(sab, ctlBytes + this.n * this.slot * 8, this.n * this.msgBytes);
  }

  /** The control words' bytes, rounded up to 8 so the Float64 slots are aligned. */
  private static ctlBytes(layout: BoardLayout): number {
    return Math.ceil(((BOARD_CTL + layout.ctlWords) * 4) / 8) * 8;
  }

  /** A new board's memory for `n` workers. */
  static memory(n: number, layout: BoardLayout): SharedArrayBuffer {
    return new SharedArrayBuffer(WorkerBoard.ctlBytes(layout) + n * ((BOARD_FIELD + layout.fields) * 8 + layout.msgBytes));
  }

  get(i: number, f: number): number {
    return this.nums[i * this.slot + f]!;
  }

  set(i: number, f: number, v: number): void {
    this.nums[i * this.slot + f] = v;
  }

  add(i: number, f: number, v: number): void {
    this.nums[i * this.slot + f] += v;
  }

  state(i: number): number {
    return this.get(i, S_STATE);
  }

  /** Sets worker i's state and wakes whoever waits for a change. */
  setState(i: number, s: number): void {
    this.set(i, S_STATE, s);
    this.event();
  }

  /** Every worker's state, in order. */
  states(): number[] {
    return Array.from({ length: this.n }, (_, i) => this.state(i));
  }

  event(): void {
    Atomics.add(this.ctl, CTL_EVENTS, 1);
    Atomics.notify(this.ctl, CTL_EVENTS);
  }

  /** Waits until `done()` holds, waking on every event; false after `timeoutMs`. */
  waitUntil(done: () => boolean, timeoutMs: number): boolean {
    const t0 = Date.now();
    for (;;) {
      const seen = Atomics.load(this.ctl, CTL_EVENTS);
      if (done()) return true;
      const left = timeoutMs - (Date.now() - t0);
      if (left <= 0) return false;
      Atomics.wait(this.ctl, CTL_EVENTS, seen, Math.min(left, 100));
    }
  }

  sleep(ms: number): void {
    Atomics.wait(this.ctl, CTL_SLEEP, 0, ms);
  }

  /** Worker i's kernel tid, 0 before it recorded one. */
  tidOf(i: number): number {
    return this.get(i, S_TID);
  }

  /** Records the calling thread's kernel tid as worker i's (/proc/thread-self is /proc/<tgid>/task/<tid>). */
  recordTid(i: number): void {
    this.set(i, S_TID, Number(readlinkSync('/proc/thread-self').split('/').pop()));
  }

  /** Worker i failed outside what it reports: its message, and its state set to `state`. */
  crash(i: number, message: string, state: number): void {
    const bytes = new TextEncoder().encode(message).subarray(0, this.msgBytes - 1);
    this.msg.set(bytes, i * this.msgBytes);
    this.msg[i * this.msgBytes + bytes.length] = 0;
    this.setState(i, state);
  }

  message(i: number): string {
    const area = this.msg.subarray(i * this.msgBytes, (i + 1) * this.msgBytes);
    const end = area.indexOf(0);
    return new TextDecoder().decode(area.slice(0, end < 0 ? area.length : end));
  }

  /**
   * Waits until the workers' threads are gone from the kernel's view (at
   * most `timeoutMs` for all): a worker still tearing down makes syscalls of
   * this process (~80 here), which a syscall audit right after would count.
   * A slot without a tid (the main thread's, or a worker that never started)
   * is not waited for.
   */
  awaitExit(timeoutMs: number): void {
    const t0 = Date.now();
    for (let i = 0; i < this.n; i++) {
      const tid = this.get(i, S_TID);
      if (!tid) continue;
      while (existsSync(`/proc/self/task/${tid}`) && Date.now() - t0 < timeoutMs) this.sleep(1);
    }
  }
}

/** A worker thread running `url` (a module beside this one) with `data`; the board, not its 'error' event, reports how it ended. */
export function startWorker(url: URL, data: unknown): Worker {
  const w = new Worker(url, { workerData: data });
  // The board reports the outcome; 'error' could only repeat it later.
  w.on('error', () => {});
  w.unref();
  return w;
}

// The writers of run --writers: N streams of the object's write_map program
// (a syscall program looped with bpf_loop: updates, deletes and inserts on
// the volatile keys, in the kernel, as a datapath would), one worker thread
// each. They idle until run(), mutate until pause(), and report only
// through a shared board: per writer its state, its calls and what they
// did. Their bpf calls are their own (each thread counts its own), so the
// reader's count of its calls stays the reader's.
import type { Worker } from 'node:worker_threads';
import { WriteBit } from '../../bpf/syscall/attr.js';
import { WriterProgram, type WriterSpace } from '../../bpf/programs/program.js';
import { InvariantError } from '../../errors.js';
import type { WriteOp, WritersSetting } from './under-writers.js';
import { BOARD_CTL, BOARD_FIELD, startWorker, WorkerBoard, type BoardLayout } from './worker-board.js';

/**
 * Operations per PROG_TEST_RUN at the 'max' rate: ~0.2–0.5 ms of map
 * updates here (100–250 ns each), so a pause takes effect within a
 * fraction of a millisecond and one syscall is amortised over 2,048 ops.
 */
export const OPS_PER_CALL = 2048;

/** What every writer did since start, summed. */
export interface WriterTotals {
  calls: number;
  updates: number;
  deletes: number;
  inserts: number;
  misses: number;
  full: number;
  /** Every operation attempted: the five above. */
  ops: number;
}

export interface WriterWorkerData {
  board: SharedArrayBuffer;
  index: number;
  progFd: number;
  space: WriterSpace;
  mix: number;
  /** ops/s of this writer; 0: back to back. */
  rate: number;
}

// The board (worker-board.ts): the command and the run generation; per
// writer the generation of its last completed call, its calls and what they did.
const CTL_CMD = BOARD_CTL;
const CTL_GEN = BOARD_CTL + 1;
const CMD_PAUSE = 0;
const CMD_RUN = 1;
const CMD_EXIT = 2;

enum State {
  starting = 0,
  idle = 1,
  running = 2,
  crashed = 3,
  exited = 4,
}

const S_GEN = BOARD_FIELD; // the generation of its last completed call
const S_CALLS = BOARD_FIELD + 1;
const S_UPDATES = BOARD_FIELD + 2;
const S_DELETES = BOARD_FIELD + 3;
const S_INSERTS = BOARD_FIELD + 4;
const S_MISSES = BOARD_FIELD + 5;
const S_FULL = BOARD_FIELD + 6;
const LAYOUT: BoardLayout = { ctlWords: 2, fields: 7, msgBytes: 512 };

function command(b: WorkerBoard, cmd: number): void {
  Atomics.store(b.ctl, CTL_CMD, cmd);
  Atomics.notify(b.ctl, CTL_CMD);
}

/** The mix as the program's bits. */
export function mixBits(mix: readonly WriteOp[]): number {
  return mix.reduce((b, op) => b | WriteBit[op], 0);
}

/** Ops per call for a writer of `rate` ops/s (0: back to back): ~1 ms of its ops, at most OPS_PER_CALL. */
export const opsPerCall = (rate: number): number => (rate > 0 ? Math.min(OPS_PER_CALL, Math.max(1, Math.ceil(rate / 1000))) : OPS_PER_CALL);

/** A writer thread's whole life (writer-worker.ts). */
export function runWriterWorker(d: WriterWorkerData): void {
  const b = new WorkerBoard(d.board, LAYOUT);
  const i = d.index;
  let prog: WriterProgram | undefined;
  try {
    b.recordTid(i);
    prog = new WriterProgram(d.progFd, d.space, 0x9e3779b1 * (i + 1));
    const perCall = opsPerCall(d.rate);
    let runningGen = -1;
    let genStart = 0n;
    let genOps = 0;
    b.setState(i, State.idle);
    for (;;) {
      const cmd = Atomics.load(b.ctl, CTL_CMD);
      if (cmd === CMD_EXIT) break;
      if (cmd === CMD_PAUSE) {
        if (b.state(i) !== State.idle) b.setState(i, State.idle);
        runningGen = -1;
        Atomics.wait(b.ctl, CTL_CMD, CMD_PAUSE);
        continue;
      }
      const gen = Atomics.load(b.ctl, CTL_GEN);
      if (gen !== runningGen) {
        // A new run: the rate counts from here (no burst to catch up on a pause).
        runningGen = gen;
        genStart = process.hrtime.bigint();
        genOps = 0;
        b.setState(i, State.running);
      }
      const r = prog.run(perCall, d.mix);
      b.add(i, S_CALLS, 1);
      b.add(i, S_UPDATES, r.updates);
      b.add(i, S_DELETES, r.deletes);
      b.add(i, S_INSERTS, r.inserts);
      b.add(i, S_MISSES, r.misses);
      b.add(i, S_FULL, r.full);
      if (b.get(i, S_GEN) !== gen) {
        b.set(i, S_GEN, gen);
        b.event();
      }
      genOps += perCall;
      if (d.rate > 0) {
        // Paced: the next call when this run's ops are due; a command change wakes it.
        const dueNs = (genOps / d.rate) * 1e9 - Number(process.hrtime.bigint() - genStart);
        if (dueNs > 0) Atomics.wait(b.ctl, CTL_CMD, CMD_RUN, dueNs / 1e6);
      }
    }
    b.setState(i, State.exited);
  } catch (e) {
    b.crash(i, e instanceof Error ? `${e.name}: ${e.message}` : String(e), State.crashed);
  } finally {
    prog?.free();
  }
}

/** A writer that has not started within this time is given up on. */
const START_MS = 60_000;
/** run() and pause() wait this long for every writer (a call takes < 1 ms). */
const STEP_MS = 30_000;
const EXIT_MS = 5_000;

export class Writers {
  readonly setting: WritersSetting;
  readonly space: WriterSpace;
  private readonly board: WorkerBoard;
  private readonly workers: Worker[] = [];
  private readonly restorer: WriterProgram;
  private closed = false;

  private constructor(progFd: number, space: WriterSpace, setting: WritersSetting) {
    this.setting = setting;
    this.space = space;
    this.board = new WorkerBoard(WorkerBoard.memory(setting.n, LAYOUT), LAYOUT);
    this.restorer = new WriterProgram(progFd, space, 0x5bd1e995);
  }

  /** N writer threads, idle once this returns. */
  static start(progFd: number, space: WriterSpace, setting: WritersSetting): Writers {
    const w = new Writers(progFd, space, setting);
    try {
      const rate = setting.rate === 'max' ? 0 : setting.rate;
      const mix = mixBits(setting.mix);
      for (let i = 0; i < setting.n; i++) {
        const data: WriterWorkerData = { board: w.board.sab, index: i, progFd, space, mix, rate };
        w.workers.push(startWorker(new URL('./writer-worker.js', import.meta.url), data));
      }
      w.await((s) => s === State.idle, START_MS, 'start');
      return w;
    } catch (e) {
      w.close();
      throw e;
    }
  }

  private states(): State[] {
    return this.board.states() as State[];
  }

  /** Throws, naming the writer, if one crashed. */
  private check(): void {
    this.states().forEach((s, i) => {
      if (s === State.crashed) throw new InvariantError(`writer ${i} failed: ${this.board.message(i)}`);
    });
  }

  private await(ok: (s: State, i: number) => boolean, timeoutMs: number, what: string): void {
    const done = this.board.waitUntil(() => this.states().every((s, i) => s === State.crashed || ok(s, i)), timeoutMs);
    this.check();
    if (!done) throw new InvariantError(`the writers did not ${what} within ${timeoutMs / 1000} s`);
  }

  /** Every writer mutates; returns once each has completed a call of this run. */
  run(): void {
    this.check();
    const gen = Atomics.add(this.board.ctl, CTL_GEN, 1) + 1;
    command(this.board, CMD_RUN);
    this.await((_, i) => this.board.get(i, S_GEN) === gen, STEP_MS, 'start writing');
  }

  /** Every writer stops; returns once none has a call in flight. */
  pause(): void {
    if (this.closed) return;
    command(this.board, CMD_PAUSE);
    this.await((s) => s === State.idle || s === State.exited, STEP_MS, 'pause');
  }

  /** Each writer thread's id, as /proc/thread-self gave it: recorded before the thread first goes idle, so known once start() returns. */
  tids(): number[] {
    const tids = Array.from({ length: this.setting.n }, (_, i) => this.board.tidOf(i));
    // A writer without its id would have its calls counted as the reader's: never drop it quietly.
    if (tids.some((tid) => tid <= 0)) throw new InvariantError(`writer thread ids not all recorded: ${tids.join(', ')}`);
    return tids;
  }

  totals(): WriterTotals {
    this.check();
    const t = { calls: 0, updates: 0, deletes: 0, inserts: 0, misses: 0, full: 0, ops: 0 };
    for (let i = 0; i < this.setting.n; i++) {
      t.calls += this.board.get(i, S_CALLS);
      t.updates += this.board.get(i, S_UPDATES);
      t.deletes += this.board.get(i, S_DELETES);
      t.inserts += this.board.get(i, S_INSERTS);
      t.misses += this.board.get(i, S_MISSES);
      t.full += this.board.get(i, S_FULL);
    }
    t.ops = t.updates + t.deletes + t.inserts + t.misses + t.full;
    return t;
  }

  /** While paused: the map back to what the loader wrote (from this thread). */
  restore(): void {
    if (this.states().some((s) => s === State.running)) throw new InvariantError('restore while writers run');
    this.restorer.restore(this.space);
  }

  /** The writers exit and are gone (bounded wait); idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    command(this.board, CMD_EXIT);
    this.board.waitUntil(() => this.states().every((s) => s === State.exited || s === State.crashed || s === State.starting), EXIT_MS);
    this.board.awaitExit(EXIT_MS);
    for (const w of this.workers) void w.terminate();
    this.restorer.free();
  }
}

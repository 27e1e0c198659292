// Ctrl-C (SIGINT) and SIGTERM during a run. A run is synchronous from the
// map's creation to its last read (minutes at 100Mi), and process.on
// listeners run only when the event loop does: they would fire after the run,
// not during it. So the work runs inside a vm script with breakOnSigint, the
// way Node's REPL stops a runaway statement: Node's own SIGINT handler wakes a
// watchdog thread that terminates the script wherever it is (at the next
// JavaScript step: within a native read loop's hand-over of up to 64Ki
// entries). For SIGTERM the same handler is installed by sigaction(2) with
// SA_RESETHAND for the duration, so the kernel puts SIGTERM back to its
// default once delivered: that is how the two are told apart afterwards.
// A terminated script runs no `finally`: what is left open (map fds, the
// counter's link, fill threads) ends with the process, which exits at once.
import vm from 'node:vm';
import koffi from 'koffi';
import { constants } from 'node:os';

export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** The work was stopped by a signal. */
export class Interrupted extends Error {
  constructor(readonly signal: InterruptSignal) {
    super(`interrupted by ${signal}`);
    this.name = 'Interrupted';
  }
}

// glibc's struct sigaction on Linux (x86-64, arm64): handler, 128-byte mask, int flags (+4), restorer.
const SIGACTION_SIZE = 152;
const SA_FLAGS = 136;
const SA_RESETHAND = 0x8000_0000;
const SIGINT = constants.signals.SIGINT;
const SIGTERM = constants.signals.SIGTERM;

interface Sigaction {
  (sig: number, act: number, old: number): number;
}

let sigaction: Sigaction | null | undefined;

function libcSigaction(): Sigaction | null {
  if (sigaction === undefined) {
    try {
      sigaction = koffi.load('libc.so.6').func('int sigaction(int sig, uintptr_t act, uintptr_t oldact)') as Sigaction;
    } catch {
      sigaction = null;
    }
  }
  return sigaction;
}

/** SIGTERM routed to the SIGINT watchdog while the work runs; knows afterwards whether it fired. */
class TermRelay {
  private readonly mem = koffi.alloc('uint8_t', 3 * SIGACTION_SIZE) as unknown;
  private readonly base = Number(koffi.address(this.mem));
  private readonly view = new DataView(koffi.view(this.mem, 3 * SIGACTION_SIZE) as ArrayBuffer);
  private installed = false;

  /** Copies the SIGINT action (Node's watchdog handler, inside the script) to SIGTERM, one-shot. */
  install(): void {
    const sa = libcSigaction();
    if (!sa) return;
    const act = this.base;
    const saved = this.base + SIGACTION_SIZE;
    if (sa(SIGINT, 0, act) !== 0) return;
    this.view.setUint32(SA_FLAGS, (this.view.getUint32(SA_FLAGS, true) | SA_RESETHAND) >>> 0, true);
    this.installed = sa(SIGTERM, act, saved) === 0;
  }

  /** Whether SIGTERM fired (its one-shot action reset to the default); restores the SIGTERM action it replaced. */
  restore(): boolean {
    if (!this.installed) return false;
    const sa = libcSigaction()!;
    const now = this.base + 2 * SIGACTION_SIZE;
    sa(SIGTERM, 0, now);
    const fired = this.view.getBigUint64(2 * SIGACTION_SIZE, true) === 0n; // SIG_DFL
    sa(SIGTERM, this.base + SIGACTION_SIZE, 0);
    this.installed = false;
    return fired;
  }

  free(): void {
    koffi.free(this.mem);
  }
}

const script = new vm.Script('work()', { filename: 'bpfbench-interruptible' });

/**
 * Runs `work` (synchronous); a SIGINT or SIGTERM meanwhile stops it where it
 * is and throws Interrupted. Its own errors and result pass through.
 */
export function interruptible<T>(work: () => T): T {
  const relay = new TermRelay();
  const box: { result?: T } = {};
  try {
    script.runInNewContext(
      {
        work: () => {
          relay.install();
          try {
            box.result = work();
          } finally {
            relay.restore();
          }
        },
      },
      { breakOnSigint: true },
    );
    return box.result as T;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED') throw new Interrupted(relay.restore() ? 'SIGTERM' : 'SIGINT');
    throw e;
  } finally {
    relay.restore();
    relay.free();
  }
}

/** What an interruption prints: the signal's word, the phase it stopped (or the last one done), and what was cleaned up. */
export function interruptedLine(signal: InterruptSignal, where: { current: string | undefined; last: string | undefined }, cleaned: readonly string[]): string {
  const word = signal === 'SIGTERM' ? 'terminated' : 'interrupted';
  const at = where.current !== undefined ? ` during ${where.current}` : where.last !== undefined ? ` after ${where.last}` : '';
  return `bpfbench: ${word}${at}${cleaned.length ? `: ${cleaned.join(', ')}` : ''}`;
}

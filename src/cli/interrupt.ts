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
import { TermRelay } from '../bpf/syscall/signals.js';

export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** The work was stopped by a signal. */
export class Interrupted extends Error {
  constructor(readonly signal: InterruptSignal) {
    super(`interrupted by ${signal}`);
    this.name = 'Interrupted';
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

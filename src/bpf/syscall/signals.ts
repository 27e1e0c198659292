// SIGTERM routed to Node's SIGINT watchdog while a synchronous run works
// (cli/interrupt.ts says why): sigaction(2), through the one libc binding
// (bpf/libc.ts), on memory koffi allocates. Kernel-facing, so it lives here.
import koffi from 'koffi';
import { constants } from 'node:os';
import { libc } from './libc.js';

// glibc's struct sigaction on Linux (x86-64, arm64): handler, 128-byte mask, int flags (+4), restorer.
const SIGACTION_SIZE = 152;
const SA_FLAGS = 136;
const SA_RESETHAND = 0x8000_0000;
const SIGINT = constants.signals.SIGINT;
const SIGTERM = constants.signals.SIGTERM;

type Sigaction = (sig: number, act: number, old: number) => number;

let sigaction: Sigaction | null | undefined;

function libcSigaction(): Sigaction | null {
  if (sigaction === undefined) {
    try {
      sigaction = libc.func('int sigaction(int sig, uintptr_t act, uintptr_t oldact)') as Sigaction;
    } catch {
      sigaction = null;
    }
  }
  return sigaction;
}

/** SIGTERM routed to the SIGINT watchdog while the work runs; knows afterwards whether it fired. */
export class TermRelay {
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

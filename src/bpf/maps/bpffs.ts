// The BPF filesystem: where pins live. Mounted on demand (as root), and
// pins the tool makes are tracked so they can be removed on exit and on
// SIGINT/SIGTERM.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname } from 'node:path';
import koffi from 'koffi';
import { libc } from '../syscall/libc.js';
import { InvalidInputError, UsageError } from '../../errors.js';
import { errnoName } from '../syscall/bpf-errors.js';

export const BPFFS = '/sys/fs/bpf';
/** Where bpfbench pins what it creates. */
export const PIN_DIR = `${BPFFS}/bpfbench`;
export const DEFAULT_PIN = `${PIN_DIR}/test_map`;

const BPF_FS_MAGIC = 'bpf';

/** Whether a bpf filesystem is mounted at `dir` (from /proc/self/mounts). */
export function isBpffsMounted(dir = BPFFS): boolean {
  try {
    return readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .some((l) => {
        const [, mnt, type] = l.split(' ');
        return mnt === dir && type === BPF_FS_MAGIC;
      });
  } catch {
    return false;
  }
}

/** Mounts bpffs at /sys/fs/bpf when it is not mounted. */
export function ensureBpffs(): void {
  if (isBpffsMounted()) return;
  mkdirSync(BPFFS, { recursive: true });
  const mount = libc.func('int mount(const char *src, const char *target, const char *type, unsigned long flags, uintptr_t data)') as (
    s: string,
    t: string,
    ty: string,
    f: number,
    d: number,
  ) => number;
  if (mount('bpf', BPFFS, 'bpf', 0, 0) !== 0) {
    throw new UsageError(`${BPFFS} is not a bpf filesystem and mounting one failed (${errnoName(koffi.errno())}): mount it with 'mount -t bpf bpf ${BPFFS}'`);
  }
}

/** Checks a pin path lies in bpffs and makes its directory. */
export function preparePinPath(path: string): void {
  if (!path.startsWith(`${BPFFS}/`)) throw new InvalidInputError(`pin path ${path} is not under ${BPFFS}`);
  ensureBpffs();
  mkdirSync(dirname(path), { recursive: true });
  if (existsSync(path)) throw new UsageError(`${path} already exists: remove it with 'bpfbench unload --pin ${path}', or choose another --pin`);
}

const ownPins = new Set<string>();
let hooked = false;

/** The exit code of a process ended by a signal, as a shell reports it: 128 + its number (SIGINT 130, SIGTERM 143). */
export const signalExitCode = (signal: 'SIGINT' | 'SIGTERM'): number => 128 + constants.signals[signal];

/** Removes the pins this process made (trackPin) and has not removed yet; returns their paths. */
export function removeOwnPins(): string[] {
  const removed = [...ownPins];
  for (const p of removed) rmSync(p, { force: true });
  ownPins.clear();
  return removed;
}

/**
 * Records a pin this process made, to remove on exit and on SIGINT/SIGTERM.
 * These listeners run only when the event loop does: a signal arriving
 * while a command runs synchronously (a whole `run` does) waits for it to
 * end, unless the command runs inside src/cli/interrupt.ts's
 * interruptible(), which stops the work at once and removes the pins itself.
 */
export function trackPin(path: string): void {
  ownPins.add(path);
  if (hooked) return;
  hooked = true;
  process.on('exit', removeOwnPins);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      const removed = removeOwnPins();
      process.stderr.write(`\nbpfbench: interrupted (${sig})${removed.length ? `: pin ${removed.join(', ')} removed` : ''}\n`);
      process.exit(signalExitCode(sig));
    });
  }
}

/** Removes a pin now (and forgets it). */
export function removePin(path: string): void {
  rmSync(path, { force: true });
  ownPins.delete(path);
}

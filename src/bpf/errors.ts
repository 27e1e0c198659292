// Typed errors of the kernel boundary. Each carries the bpf command and the
// errno name, so the CLI can print one clear line and tests can match on them.
import { constants } from 'node:os';
import { UsageError } from '../errors.js';
import { cmdLabel } from './constants.js';

const errnoNames: string[] = [];
for (const [name, n] of Object.entries(constants.errno)) {
  if (errnoNames[n] === undefined) errnoNames[n] = name;
}
// Prefer the common spelling where Linux has aliases.
errnoNames[constants.errno.EAGAIN] = 'EAGAIN';
errnoNames[constants.errno.ENOTSUP] = 'EOPNOTSUPP';

export const Errno = constants.errno;

export function errnoName(errno: number): string {
  return errnoNames[errno] ?? `errno ${errno}`;
}

/** A bpf(2) call that failed. `cmd` is the bare command name (`LOOKUP_BATCH`). */
export class BpfError extends Error {
  readonly cmd: string;
  readonly errno: number;
  readonly code: string;

  constructor(cmd: number | string, errno: number, detail?: string) {
    const label = typeof cmd === 'number' ? cmdLabel(cmd) : cmd;
    const code = errnoName(errno);
    super(`bpf ${label} failed: ${code}${detail ? ` (${detail})` : ''}`);
    this.name = 'BpfError';
    this.cmd = label;
    this.errno = errno;
    this.code = code;
  }
}

/**
 * SHIM(issue11): the legacy user-facing error, kept for the files that still
 * throw or catch it until the CLI maps the kinds of src/errors.ts itself.
 * `new UserError(m, 2)` is an invalid-input UsageError, `new UserError(m)` a
 * cannot-run one. `instanceof UserError` holds for every UsageError, and every
 * UsageError has the `exitCode` its reason stands for (2 invalid, 1 cannot
 * run), so that the CLI's legacy `e instanceof UserError ? e.exitCode : 1`
 * treats the converted throws exactly as before. Remove with the CLI's switch.
 */
export class UserError extends UsageError {
  declare readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message, exitCode === 2 ? 'invalid' : 'cannot-run');
    this.name = 'UserError';
  }

  static override [Symbol.hasInstance](x: unknown): boolean {
    return x instanceof UsageError;
  }
}
// SHIM(issue11): see UserError.
Object.defineProperty(UsageError.prototype, 'exitCode', {
  get(this: UsageError): number {
    return this.reason === 'invalid' ? 2 : 1;
  },
  configurable: true,
});

// Typed errors of the kernel boundary. Each carries the bpf command and the
// errno name, so the CLI can print one clear line and tests can match on them.
import { constants } from 'node:os';
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

// The error kinds every layer may throw, below bpf/ so that every layer can.
// The CLI maps them to exit codes in one place (src/cli/exit.ts); nothing
// here knows about argv, flag names or exit codes.
//
// - BpfError (src/bpf/syscall/bpf-errors.ts, kernel-facing): bpf(2) or a kernel facility
//   said no, with the command and errno.
// - UsageError: what the user asked for cannot be done as asked. `invalid`
//   input (a flag, an argument, a file's content) or a request that `cannot
//   run` here (no privilege, not enough memory, a missing library).
// - InvariantError: something that must hold did not (a bug, or a kernel
//   that broke its contract). Shown with a hint to run with --debug.

/** Why a request cannot be carried out. */
export type UsageReason = 'invalid' | 'cannot-run';

export class UsageError extends Error {
  readonly reason: UsageReason;
  constructor(message: string, reason: UsageReason = 'cannot-run') {
    super(message);
    this.name = 'UsageError';
    this.reason = reason;
  }
}

/** Bad input: a flag, an argument, a file that is not what it should be. */
export class InvalidInputError extends UsageError {
  constructor(message: string) {
    super(message, 'invalid');
    this.name = 'InvalidInputError';
  }
}

export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantError';
  }
}

// Exit codes, and what an error becomes on the way out: the one place that
// maps error kinds (src/errors.ts, the bpf layer's errors) to an exit code
// and the lines printed on stderr. Pure: no I/O here.
import { CommanderError } from 'commander';
import { BpfError, Errno } from '../bpf/syscall/bpf-errors.js';
import { ChunkTooSmallError } from '../bpf/maps/batch-cursor.js';
import { UsageError } from '../errors.js';
import { MemoryTooSmallError, PRIVILEGE_HINT } from '../harness/filling/preflight.js';
import { fmtCount } from '../harness/verification/verdict.js';

export const EXIT_OK = 0;
/** A runtime failure, a failed verification, or a request that cannot run here. */
export const EXIT_FAILURE = 1;
/** Bad input: a flag, an argument, a file's content. */
export const EXIT_USAGE = 2;
/** compare (and run --baseline): a regression beyond the threshold. */
export const EXIT_REGRESSION = 3;
/** compare: a speed gate could not decide (its interval straddles the threshold), and nothing regressed. */
export const EXIT_UNDECIDED = 4;

export const INTERNAL_ERROR_LINE = 'bpfbench: (an internal error: run with --debug for the stack)';

export interface ErrorExit {
  code: number;
  /** Lines for stderr, without newlines (empty when commander already printed its own). */
  lines: string[];
}

/** Commander's own outcomes: help and version are not failures; its parse errors are bad input. */
function commanderCode(e: CommanderError): number {
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT_OK;
  if (e.code === 'commander.executeSubCommandAsync') return EXIT_FAILURE;
  return EXIT_USAGE;
}

/** The bpf layer names no flags: the CLI says which one to change. */
function chunkTooSmallLine(e: ChunkTooSmallError): string {
  return `bpf ${e.cmd} failed: ${e.code} (the next hash bucket holds more than --chunk ${e.chunk} entries)`;
}

/** The harness names no flags: say which of --entries / --max-entries does not fit. */
function memoryLine(e: MemoryTooSmallError): string {
  const fix =
    e.tooBig === 'maxEntries'
      ? `lower --max-entries (each slot costs ~${fmtCount(e.bytesPerSlot)} B; --max-entries ${fmtCount(e.entries)} would fit --entries ${fmtCount(e.entries)})`
      : `use fewer --entries${e.maxEntries > e.entries ? ' and a lower --max-entries' : ''} (each entry costs ~${fmtCount(e.bytesPerSlot)} B)`;
  return `${e.shortfall}: ${fix} or free memory`;
}

function bpfLine(e: BpfError): string {
  if (e.errno === Errno.EPERM) return `${e.message}: ${PRIVILEGE_HINT}`;
  if (e.errno === Errno.ENOMEM) return `${e.message}: the kernel could not allocate the map; use fewer --entries`;
  return e.message;
}

/** What the user is told, and the exit code, for an error; `internal` adds the --debug hint. */
function classify(e: unknown): { code: number; message: string; internal: boolean } {
  if (e instanceof ChunkTooSmallError) return { code: EXIT_FAILURE, message: chunkTooSmallLine(e), internal: false };
  if (e instanceof MemoryTooSmallError) return { code: EXIT_FAILURE, message: memoryLine(e), internal: false };
  // A per-element walk that never ended (strategies' MapChangedError) is a UsageError that cannot run: exit 1.
  if (e instanceof UsageError) return { code: e.reason === 'invalid' ? EXIT_USAGE : EXIT_FAILURE, message: e.message, internal: false };
  if (e instanceof BpfError) return { code: EXIT_FAILURE, message: bpfLine(e), internal: false };
  // InvariantError and anything else: a bug, or a kernel that broke its contract.
  return { code: EXIT_FAILURE, message: e instanceof Error ? e.message : String(e), internal: true };
}

/** An error → its exit code and stderr lines; with `debug`, the stack instead of the internal-error hint. */
export function errorExit(e: unknown, debug = false): ErrorExit {
  if (e instanceof CommanderError) return { code: commanderCode(e), lines: [] };
  const { code, message, internal } = classify(e);
  const lines = [`bpfbench: ${message}`];
  if (debug && e instanceof Error && e.stack) lines.push(e.stack);
  else if (internal) lines.push(INTERNAL_ERROR_LINE);
  return { code, lines };
}

// What the commands need from the world (streams, environment), and the
// context every command is built with.
export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

/** Given to each command when the program is built: where to write, and how to report its exit code. */
export interface CommandContext {
  io: Io;
  exit(code: number): void;
}

/** Colour on `stream`: never with --no-color or NO_COLOR, always with FORCE_COLOR, else on a terminal. */
export function useColor(flags: { color: boolean }, io: Io, stream: NodeJS.WriteStream): boolean {
  if (!flags.color) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

const quieted = new WeakSet<object>();

/**
 * A closed pipe on `stream` (`bpfbench run --help | head -3`): what is left
 * to write is dropped, and the process ends with its usual exit code, never
 * a stack trace. Any other error of the stream is thrown as before.
 */
export function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  if (typeof stream.on !== 'function' || quieted.has(stream)) return;
  quieted.add(stream);
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
    throw e;
  });
}

// Writing results: atomically to a file (temp file in the same directory,
// then rename), or to the given stdout for '-'.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Where '-' goes: the command's stdout (Io.stdout). */
export interface Stdout {
  write(text: string): unknown;
}

export function writeAtomic(path: string, text: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Text to a file, atomically, or to `stdout` for '-'. */
export function writeText(path: string, text: string, stdout: Stdout): void {
  if (path === '-') stdout.write(text);
  else writeAtomic(path, text);
}

export function writeJson(path: string, value: unknown, stdout: Stdout): void {
  writeText(path, JSON.stringify(value, null, 2) + '\n', stdout);
}

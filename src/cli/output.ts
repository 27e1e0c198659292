// Writing results: atomically to a file (temp file in the same directory,
// then rename), or to the given stdout for '-'.
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InvalidInputError } from '../errors.js';

/** Where '-' goes: the command's stdout (Io.stdout). */
export interface Stdout {
  write(text: string): unknown;
}

export function writeAtomic(path: string, text: string): void {
  const dir = dirname(path);
  makeDirectory(dir);
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
  writeText(path, `${JSON.stringify(value, null, 2)}\n`, stdout);
}

/**
 * Checks, before anything is measured, where a command will write: at most
 * one destination is stdout ('-'); every file's directory exists and is
 * writable, or can be made (said on stderr now, made when the result is
 * written), and the file is not a directory. One line (InvalidInputError, exit 2) for the first that
 * fails. `dests`: option name → path, undefined when not given; directories
 * the command writes into by themselves are given as `dir:` + path.
 */
export function checkDestinations(dests: Record<string, string | undefined>, say: (line: string) => void): void {
  const given = Object.entries(dests).filter((e): e is [string, string] => e[1] !== undefined);
  const toStdout = given.filter(([, p]) => p === '-').map(([o]) => o);
  if (toStdout.length > 1) throw new InvalidInputError(`${toStdout.slice(0, -1).join(', ')} and ${toStdout[toStdout.length - 1]} cannot both go to stdout ('-'): name a file for all but one`);
  for (const [option, raw] of given) {
    if (raw === '-') continue;
    const isDir = raw.startsWith('dir:');
    const path = isDir ? raw.slice(4) : raw;
    if (path === '') throw new InvalidInputError(`${option}: an empty path`);
    const dir = isDir ? path : dirname(path);
    if (!existsSync(dir)) {
      // Made when the result is written (writeAtomic), not now: a run refused before it measures leaves nothing behind.
      const ancestor = nearestExisting(dir);
      if (!statSync(ancestor).isDirectory()) throw new InvalidInputError(`${option} ${path}: cannot create its directory ${dir}: ${ancestor} is not a directory`);
      try {
        accessSync(ancestor, constants.W_OK);
      } catch {
        throw new InvalidInputError(`${option} ${path}: cannot create its directory ${dir}: ${ancestor} is not writable`);
      }
      say(`bpfbench: ${dir} does not exist: it will be made for ${option}`);
      continue;
    }
    if (!statSync(dir).isDirectory()) throw new InvalidInputError(`${option} ${path}: ${dir} is not a directory`);
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      throw new InvalidInputError(`${option} ${path}: ${dir} is not writable`);
    }
    if (!isDir && existsSync(path) && statSync(path).isDirectory()) throw new InvalidInputError(`${option} ${path}: is a directory`);
  }
}

/**
 * mkdir -p, one level at a time from the nearest directory that exists
 * (node's recursive mkdir never returns on a path under /proc).
 */
function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let at = dir;
  while (!existsSync(at)) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const d of missing) mkdirSync(d);
}

/** The path itself, or its nearest ancestor that exists. */
function nearestExisting(path: string): string {
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

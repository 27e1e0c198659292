// The output stage, one for every command: a command declares the outputs it
// can make (declareOutputs: the kind of document, and an option per format);
// openOutputs checks every destination before anything is measured (at most
// one on stdout, each writable); the stage then renders the document
// through the registry of formats (src/report/formats/exporters.ts) and writes each
// atomically (temp file in the same directory, then rename), or to stdout
// for '-'.
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Option } from 'commander';
import { InvalidInputError } from '../errors.js';
import { EXPORTERS, canRender, renderDocument, type Document, type DocumentKind, type Format } from '../report/formats/exporters.js';
import type { Io } from './io.js';
import { outputOption, type OutputSpec } from './output-options.js';

/** Where '-' goes: the command's stdout (Io.stdout). */
export interface Stdout {
  write(text: string): unknown;
}

/** What a command can write: the kind of document it makes, and an option per output. */
export interface Outputs {
  kind: DocumentKind;
  specs: readonly OutputSpec[];
}

/** A command's outputs; one its document cannot be rendered in is a programming error, thrown when the program is built. */
export function declareOutputs(kind: DocumentKind, ...specs: OutputSpec[]): Outputs {
  for (const s of specs) if (!canRender(s.format, kind)) throw new Error(`${s.flags}: ${EXPORTERS[s.format].title} cannot render a ${kind} document`);
  return { kind, specs };
}

/** The options naming where each output goes, in the order declared. */
export const outputOptions = (o: Outputs): Option[] => o.specs.map(outputOption);

/** One output asked for: its option, its format, and its path ('-': stdout). */
interface Destination {
  option: string;
  format: Format;
  path: string;
}

/** The destinations given, checked; what `write` renders and writes. */
export class OutputStage {
  constructor(
    private readonly outputs: Outputs,
    private readonly destinations: readonly Destination[],
    private readonly io: Io,
  ) {}

  /** Whether a document goes to stdout ('-'). */
  get toStdout(): boolean {
    return this.destinations.some((d) => d.path === '-');
  }

  /** Where the human-readable output goes: stderr when a document goes to stdout. */
  get human(): NodeJS.WriteStream {
    return this.toStdout ? this.io.stderr : this.io.stdout;
  }

  /** The file `format` goes to, if it goes to one (the HTML page names the JSON file as its source). */
  fileOf(format: Format): string | undefined {
    return this.destinations.find((d) => d.format === format && d.path !== '-')?.path;
  }

  /** The document, in every format asked for, each to its destination. */
  write(doc: Document): void {
    if (doc.kind !== this.outputs.kind) throw new Error(`a ${doc.kind} document where ${this.outputs.kind} was declared`);
    for (const d of this.destinations) writeDocument(d.path, d.format, doc, this.io.stdout);
  }
}

/**
 * The output stage of a command: every destination its flags name, checked
 * now (before any map is made); `dirs` are directories the command writes
 * into by itself (sweep's --out-dir), checked with them. An option declared
 * with an optional path (`--json [file]`) given bare means stdout.
 */
export function openOutputs(outputs: Outputs, flags: object, io: Io, dirs: Record<string, string> = {}): OutputStage {
  const values = flags as Record<string, unknown>;
  const destinations: Destination[] = [];
  for (const spec of outputs.specs) {
    const o = new Option(spec.flags);
    const v = values[o.attributeName()];
    if (v === undefined || v === false) continue;
    destinations.push({ option: o.long!, format: spec.format, path: v === true ? '-' : String(v) });
  }
  const all = Object.fromEntries([...destinations.map((d) => [d.option, d.path]), ...Object.entries(dirs).map(([o, p]) => [o, `dir:${p}`])]);
  checkDestinations(all, (line) => io.stderr.write(`${line}\n`));
  return new OutputStage(outputs, destinations, io);
}

/** `doc` rendered in `format`, to a file atomically or to `stdout` for '-'. */
export function writeDocument(path: string, format: Format, doc: Document, stdout: Stdout): void {
  writeText(path, renderDocument(format, doc), stdout);
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
function writeText(path: string, text: string, stdout: Stdout): void {
  if (path === '-') stdout.write(text);
  else writeAtomic(path, text);
}

/**
 * Checks, before anything is measured, where a command will write (the one
 * place that does): at most
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

// Bring your own reader: `peers --impls …,exec:NAME=COMMAND`. bpfbench makes,
// fills and pins the map, then starts COMMAND with {pin}, {id}, {entries},
// {chunk} (and {strategy}) replaced, behind the gate of every external peer
// (peer-audit.ts), and the reader follows the protocol of docs/peers.md:
//
//   stdout  ready                      before its read's first bpf call; then it
//                                      waits for a line on stdin (the go-ahead)
//   stdout  done                       after its read's last bpf call; then it
//                                      waits for a line on stdin again
//   stdout  result entries=N distinct=D checksum=C
//                                      what it read: entries (with repeats),
//                                      distinct keys, and the sum mod 2^32 of
//                                      ((k ^ 0x5bd1e995) * 0x9e3779b1 mod 2^32) ^ v
//   exit 0
//
// Nothing else may go to stdout (stderr is free). bpfbench times the read on
// its own clock, from the go-ahead after `ready` to the arrival of `done`
// (start-up excluded, two pipe hand-overs included), counts the reader's bpf
// calls with the kernel by its pid in an untimed audit run, and verifies the
// counts and the checksum against what it wrote. COMMAND is split into words
// as a shell would (quotes, backslashes) but run without one: the process
// bpfbench starts is the reader whose calls the kernel counts.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { expectedSums, type Expectation } from '../filling/expectation.js';
import { countProcess } from './peer-audit.js';
import type { Peer, PeerReport, PeerRunOptions } from './program-peer.js';
import { fmtCount, fmtCountOf, type Verdict } from '../verification/verdict.js';

/** The strategies a reader that takes {strategy} is run with; one without it reads its own way, once a round. */
const STRATEGIES = ['elem', 'batch', 'batch-fixed-cursor'];
export const OWN_STRATEGY = 'own';

export interface ExecSpec {
  name: string;
  /** The command's words, placeholders not yet replaced. */
  words: string[];
}

/** `exec:NAME=COMMAND` → its name and words; a malformed one is bad input. */
export function parseExecSpec(spec: string): ExecSpec {
  const m = /^exec:([A-Za-z0-9_.-]+)=(.*)$/s.exec(spec);
  if (!m) throw new InvalidInputError(`--impls ${JSON.stringify(spec)}: expected exec:NAME=COMMAND (NAME of letters, digits, '.', '_', '-')`);
  const words = splitWords(m[2]!, `exec:${m[1]}`);
  if (!words.length) throw new InvalidInputError(`--impls exec:${m[1]}: no command after '='`);
  return { name: m[1]!, words };
}

/**
 * A command line → words, as a shell splits them: blanks separate, '…' is
 * literal, "…" literal but for \" \\ \$ \`, a backslash outside quotes
 * escapes the next character. No expansion, pipe or redirection: those are
 * refused, since no shell runs the command.
 */
export function splitWords(line: string, what: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (/\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new InvalidInputError(`${what}: unterminated ' in its command`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (ch === '"') {
      word ??= '';
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) i++;
        word += line[i];
      }
      if (i >= line.length) throw new InvalidInputError(`${what}: unterminated " in its command`);
    } else if (ch === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if ('|&;<>()$`'.includes(ch)) {
      throw new InvalidInputError(`${what}: its command is run without a shell, so '${ch}' means nothing: give a program and its arguments (quote the character to pass it as is)`);
    } else word = (word ?? '') + ch;
  }
  if (word !== null) words.push(word);
  return words;
}

/** An executable file: a path (with a '/'), or a name found on PATH; undefined when there is none. */
export function resolveCommand(cmd: string, path = process.env.PATH ?? ''): string | undefined {
  const runnable = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) return runnable(cmd) ? cmd : undefined;
  return path
    .split(delimiter)
    .filter(Boolean)
    .map((d) => join(d, cmd))
    .find(runnable);
}

const RESULT = /^result entries=(\d+) distinct=(\d+) checksum=(\d+)\s*$/;
const PROTOCOL = "one line 'result entries=N distinct=D checksum=C' after 'ready' and 'done'";

/** The reader's stdout (its marks taken out) → what it says it read; anything off the protocol is an error. */
export function parseResultLine(name: string, stdout: string): { entries: number; distinct: number; checksum: number } {
  const lines = stdout.split('\n').filter((l) => l !== '');
  const m = lines.length === 1 ? RESULT.exec(lines[0]!) : null;
  if (!m) {
    const shown = lines.length === 0 ? 'nothing' : JSON.stringify(lines.slice(0, 2).join('\\n').slice(0, 80));
    throw new Error(`exec:${name} printed ${shown} on stdout, off the protocol (${PROTOCOL}): see docs/peers.md`);
  }
  const checksum = Number(m[3]);
  if (checksum > 0xffffffff) throw new Error(`exec:${name}: checksum ${m[3]} is not a u32 (the sum is taken mod 2^32)`);
  return { entries: Number(m[1]), distinct: Number(m[2]), checksum };
}

/**
 * An exec reader's report against what was written: its entries, distinct
 * keys and checksum, the three things the protocol carries. It reports no
 * key sum, wrong values or stray keys of its own: the checksum, over every
 * key and value, is what stands for them, so those fields mirror it
 * (badValues and badKeys are not reported, so none are counted; keySumOk is null, no key sum being
 * reported) and only the three checks make problems.
 */
export function verifyExec(r: PeerReport, e: Expectation): Verdict {
  const checksumOk = r.checksum >>> 0 === expectedSums(e).checksum >>> 0;
  const problems: string[] = [];
  if (r.entries !== e.entries) problems.push(`read ${fmtCountOf(r.entries, 'entry', 'entries')}, expected ${fmtCount(e.entries)}`);
  if (r.distinct !== e.entries) problems.push(`${fmtCountOf(r.distinct, 'distinct key')} of ${fmtCount(e.entries)}`);
  if (!checksumOk) problems.push('key/value checksum differs');
  return { ok: problems.length === 0, entries: r.entries, distinct: r.distinct, expectedEntries: e.entries, keySumOk: null, checksumOk, badValues: 0, badKeys: 0, problems, checksum: r.checksum };
}

/** The words with {pin}, {id}, {entries}, {chunk} and {strategy} replaced. */
export function commandFor(words: readonly string[], v: { pin: string; id: number | undefined; entries: number; chunk: number; strategy: string }): string[] {
  const values: Record<string, string> = { pin: v.pin, id: v.id === undefined ? '' : String(v.id), entries: String(v.entries), chunk: String(v.chunk), strategy: v.strategy };
  return words.map((w) => w.replace(/\{(pin|id|entries|chunk|strategy)\}/g, (_, k: string) => values[k]!));
}

/** The peer of one `exec:NAME=COMMAND`. */
export function execPeer(spec: ExecSpec): Peer {
  const impl = `exec:${spec.name}`;
  const usesStrategy = spec.words.some((w) => w.includes('{strategy}'));
  const argv = (pin: string, strategy: string, chunk: number, expect: Expectation, opts: PeerRunOptions) => commandFor(spec.words, { pin, id: opts.mapId, entries: expect.entries, chunk, strategy });
  const report = (stdout: string, strategy: string, wallNs: number): PeerReport => {
    const r = parseResultLine(spec.name, stdout);
    // keySum, badValues, badKeys: not in the protocol (verifyExec reads none of them).
    return { impl, strategy, wallNs, entries: r.entries, distinct: r.distinct, checksum: r.checksum, keySum: 0, badValues: 0, badKeys: 0 };
  };
  const run = async (args: string[], counter: Parameters<typeof countProcess>[1], timeoutMs: number | undefined) => {
    try {
      return await countProcess(args, counter, { sync: true, timeoutMs });
    } catch (e) {
      throw new Error(`${impl}: ${(e as Error).message}`);
    }
  };
  return {
    name: impl,
    strategies: usesStrategy ? STRATEGIES : [OWN_STRATEGY],
    timing: { by: 'bpfbench', includesStartup: false },
    prepare() {
      // Not found is bad input, said before any map is made; found but failing to start is a failed row.
      if (!resolveCommand(spec.words[0]!)) throw new InvalidInputError(`${impl}: command not found: ${spec.words[0]}`);
      return undefined;
    },
    async read(pin, strategy, chunk, expect, opts = {}) {
      const r = await run(argv(pin, strategy, chunk, expect, opts), undefined, opts.timeoutMs);
      return report(r.stdout, strategy, r.markedNs!);
    },
    async audit(pin, strategy, chunk, expect, counter, opts = {}) {
      const r = await run(argv(pin, strategy, chunk, expect, opts), counter, opts.timeoutMs);
      return { report: report(r.stdout, strategy, 0), kernel: r.read!, covers: 'read', process: r.process };
    },
    verify: verifyExec,
  };
}

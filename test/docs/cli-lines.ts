// The bpfbench command lines written in the examples and the docs, checked
// against bpfbench's own argument parser: the program main.ts builds, with
// every command's action replaced by one that only records it ran, so that
// parsing (commands, flags, choices, value parsers) is all that happens.
//
// Shell text is split the way sh splits it, for what examples use: quotes,
// backslash line continuations, comments, the control operators (| || & &&
// ; newline) and redirections (2>file, > file, 2>&1). A bpfbench command is
// a simple command whose program word is named bpfbench (bpfbench,
// ./bin/bpfbench, base/bin/bpfbench), possibly behind sudo, env, exec, nice
// or VAR=value words; its argv is every word after it.
import { CommanderError } from 'commander';
import { buildProgram, type Io } from '../../src/cli/main.js';

type Token = { op: string } | { word: string; raw: string };

const CONTROL = ['||', '&&', ';;', '|', '&', ';', '(', ')'];

/** sh's tokens for `script`: words (quotes removed, `raw` kept) and operators. Throws on an unclosed quote. */
export function shellTokens(script: string): Token[] {
  const tokens: Token[] = [];
  const s = script.replace(/\\\n/g, '');
  let i = 0;
  let word: string | null = null;
  let raw = '';
  const end = () => {
    if (word !== null) tokens.push({ word, raw });
    word = null;
    raw = '';
  };
  const add = (text: string, rawText: string) => {
    word = (word ?? '') + text;
    raw += rawText;
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\n') {
      end();
      tokens.push({ op: ';' });
      i++;
    } else if (c === ' ' || c === '\t') {
      end();
      i++;
    } else if (c === '#' && word === null) {
      while (i < s.length && s[i] !== '\n') i++;
    } else if (c === "'") {
      const close = s.indexOf("'", i + 1);
      if (close < 0) throw new Error(`unclosed ' in: ${s.slice(i, i + 60)}`);
      add(s.slice(i + 1, close), s.slice(i, close + 1));
      i = close + 1;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < s.length && s[j] !== '"') {
        if (s[j] === '\\' && j + 1 < s.length && '"\\$`'.includes(s[j + 1]!)) {
          text += s[j + 1];
          j += 2;
        } else text += s[j++];
      }
      if (j >= s.length) throw new Error(`unclosed " in: ${s.slice(i, i + 60)}`);
      add(text, s.slice(i, j + 1));
      i = j + 1;
    } else if (c === '\\') {
      add(s[i + 1] ?? '', s.slice(i, i + 2));
      i += 2;
    } else {
      // A redirection: [n]>, [n]>>, [n]<, &> (the fd digits only at a word's
      // start), with an optional &n target glued on (2>&1: no target word).
      const redir = (word === null ? /^(\d*(>>|>&|<&|>|<)|&>>?)(&\d+|&-)?/ : /^((>>|>&|<&|>|<))(&\d+|&-)?/).exec(s.slice(i));
      if (redir) {
        end();
        tokens.push({ op: redir[3] || redir[2] === '>&' || redir[2] === '<&' ? 'redirect-done' : 'redirect' });
        i += redir[0].length;
        // `>&2`: the fd right after >& is its target.
        if (!redir[3] && (redir[2] === '>&' || redir[2] === '<&')) while (i < s.length && /[\d-]/.test(s[i]!)) i++;
        continue;
      }
      const control = CONTROL.find((op) => s.startsWith(op, i));
      if (control) {
        end();
        tokens.push({ op: control });
        i += control.length;
        continue;
      }
      add(c, c);
      i++;
    }
  }
  end();
  return tokens;
}

/** The simple commands of `script`, each as its words (redirections and their targets left out). */
export function simpleCommands(script: string): string[][] {
  const commands: string[][] = [];
  let current: string[] = [];
  let skipNext = false;
  for (const t of shellTokens(script)) {
    if ('op' in t) {
      if (t.op === 'redirect') skipNext = true;
      else if (t.op !== 'redirect-done') {
        if (current.length) commands.push(current);
        current = [];
      }
      continue;
    }
    if (skipNext) {
      skipNext = false;
      continue;
    }
    current.push(t.word);
  }
  if (current.length) commands.push(current);
  return commands;
}

/** Words that may stand before the program: sh's keywords, sudo, env, exec, nice, their options, VAR=value. */
const isPrefixWord = (w: string) => /^(\{|!|if|then|else|elif|do|while|until|sudo|env|exec|nice|time|nohup)$/.test(w) || /^-/.test(w) || /^-?\d+$/.test(w) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(w);
const isBpfbench = (w: string) => w === 'bpfbench' || w.endsWith('/bpfbench');

/** Every bpfbench command in `script`: the argv after the program word. */
export function bpfbenchCommands(script: string): string[][] {
  const found: string[][] = [];
  for (const words of simpleCommands(script)) {
    const at = words.findIndex(isBpfbench);
    if (at < 0 || !words.slice(0, at).every(isPrefixWord)) continue;
    found.push(words.slice(at + 1));
  }
  return found;
}

/** A stream that keeps what is written. */
function sink(): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = {
    isTTY: false,
    columns: 80,
    write: (s: string) => {
      text += s;
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}

/**
 * bpfbench's parser on `argv` (the words after `bpfbench`): null when it
 * accepts them and a command would run, else what it said. Nothing runs:
 * every command's action is replaced before parsing.
 */
export function parseError(argv: string[]): string | null {
  const out = sink();
  const err = sink();
  const io: Io = { stdout: out.stream, stderr: err.stream, env: {} };
  const program = buildProgram(io, () => {});
  let ran: string | undefined;
  for (const cmd of program.commands) cmd.action(() => void (ran = cmd.name()));
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError && (e.code === 'commander.helpDisplayed' || e.code === 'commander.version')) return null;
    const said = err.text().trim().split('\n').slice(0, 2).join(' ');
    return said || (e instanceof Error ? e.message : String(e));
  }
  return ran === undefined ? `no command ran (${argv.join(' ') || 'no arguments'})` : null;
}

/** Problems with the bpfbench lines of `script` (from `where`): a line the parser refuses, or one it cannot check. */
export function checkScript(script: string, where: string): { commands: string[][]; problems: string[] } {
  const commands = bpfbenchCommands(script);
  const problems: string[] = [];
  for (const argv of commands) {
    const line = `bpfbench ${argv.join(' ')}`;
    if (argv.some((a) => a.includes('${{'))) {
      problems.push(`${where}: ${line}: a GitHub expression in a bpfbench line cannot be checked; pass it through an environment variable`);
      continue;
    }
    const error = parseError(argv);
    if (error) problems.push(`${where}: ${line}: ${error}`);
  }
  return { commands, problems };
}

// `peers --impls` and `--peer-timeout`: the implementations, bpfbench's own
// and `exec:NAME=COMMAND` readers among them, and how long a peer's process
// may run.
import { InvalidArgumentError } from 'commander';
import { parseExecSpec } from '../harness/peers/exec.js';
import { rangeChecked } from './parse.js';

/**
 * `ts,c,exec:mine=./reader {pin} {chunk}` → the implementations. A COMMAND may
 * hold commas: a piece that is neither a known name nor `exec:…` belongs to
 * the `exec:` item before it. Each `exec:` item is checked here (its name,
 * its words); names must differ.
 */
export function parseImpls(known: readonly string[]) {
  return (raw: string): string[] => {
    const items: string[] = [];
    for (const piece of raw.split(',')) {
      const it = piece.trim();
      if (known.includes(it) || it.startsWith('exec:')) items.push(it);
      else if (items.length && items[items.length - 1]!.startsWith('exec:')) items[items.length - 1] += `,${piece}`;
      else if (it !== '') throw new InvalidArgumentError(`unknown implementation '${it}' (known: ${known.join(', ')}, exec:NAME=COMMAND).`);
    }
    if (items.length === 0) throw new InvalidArgumentError(`--impls needs at least one of: ${known.join(', ')}, exec:NAME=COMMAND.`);
    const names = items.map((it) => {
      if (!it.startsWith('exec:')) return it;
      try {
        return `exec:${parseExecSpec(it).name}`;
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    });
    if (new Set(names).size !== names.length) throw new InvalidArgumentError('--impls lists one twice.');
    return items;
  };
}

/** --peer-timeout auto: 600 s, or 20 µs per entry when that is longer (bcc's per-element read of a 100Mi map takes ~16 min). */
export function peerTimeoutMs(setting: number | 'auto', entries: number): number {
  return setting === 'auto' ? Math.max(600_000, entries * 0.02) : setting * 1000;
}

export const parsePeerTimeout = (raw: string): number | 'auto' => (raw === 'auto' ? 'auto' : rangeChecked('--peer-timeout', 1, 86_400)(raw));

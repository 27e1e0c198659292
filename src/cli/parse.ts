// Flag values → validated numbers and names. Every failure is an
// InvalidArgumentError with one line saying what is accepted.
import { InvalidArgumentError } from 'commander';
import { MapFlag } from '../bpf/syscall/constants.js';

const SUFFIX: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** `4096`, `1_048_576`, `1Mi`, `100Mi`, `4k` → integer. */
export function parseCount(raw: string): number {
  const m = /^(\d[\d_]*)(Ki|Mi|Gi|k|K|M|G)?$/.exec(raw.trim());
  if (!m) throw new InvalidArgumentError(`'${raw}' is not a whole number (examples: 4096, 1Mi, 100Mi).`);
  const n = Number(m[1]!.replace(/_/g, '')) * SUFFIX[m[2] ?? '']!;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`'${raw}' is too large.`);
  return n;
}

export function rangeChecked(name: string, min: number, max: number) {
  return (raw: string): number => {
    const n = parseCount(raw);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min.toLocaleString('en-US')} and ${max.toLocaleString('en-US')}, got ${n.toLocaleString('en-US')}.`);
    return n;
  };
}

/** `auto` or a count in range. */
export function autoOr(name: string, min: number, max: number) {
  const check = rangeChecked(name, min, max);
  return (raw: string): number | 'auto' => (raw === 'auto' ? 'auto' : check(raw));
}

/** `max` or a count in range. */
export function autoMax(name: string, min: number, max: number) {
  const check = rangeChecked(name, min, max);
  return (raw: string): number | 'max' => (raw === 'max' ? 'max' : check(raw));
}

/** `elem,batch` → names, each known, none repeated. */
export function parseList(name: string, what: string, known: readonly string[]) {
  return (raw: string): string[] => {
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (items.length === 0) throw new InvalidArgumentError(`${name} needs at least one of: ${known.join(', ')}.`);
    for (const it of items) {
      if (!known.includes(it)) throw new InvalidArgumentError(`unknown ${what} '${it}' (known: ${known.join(', ')}).`);
    }
    if (new Set(items).size !== items.length) throw new InvalidArgumentError(`${name} lists one twice.`);
    return items;
  };
}

export function parseChoice<T extends string>(name: string, known: readonly T[]) {
  return (raw: string): T => {
    if (!(known as readonly string[]).includes(raw)) throw new InvalidArgumentError(`${name} must be one of: ${known.join(', ')}.`);
    return raw as T;
  };
}

const FLAG_NAMES: Record<string, number> = {
  no_prealloc: MapFlag.NO_PREALLOC,
  zero_seed: MapFlag.ZERO_SEED,
};

/** `zero_seed,no_prealloc` or a number → map_flags. */
export function parseMapFlags(raw: string): number {
  if (/^(0x[0-9a-f]+|\d+)$/i.test(raw)) return Number(raw);
  let flags = 0;
  for (const name of raw.split(',').map((s) => s.trim().toLowerCase())) {
    const f = FLAG_NAMES[name];
    if (f === undefined) throw new InvalidArgumentError(`unknown map flag '${name}' (known: ${Object.keys(FLAG_NAMES).join(', ')}, or a number).`);
    flags |= f;
  }
  return flags;
}

/** `15%`, `15` or `0.15` → 0.15 (between 0 and 10, i.e. 0 % … 1000 %). */
export function parsePercent(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(raw.trim());
  if (!m) throw new InvalidArgumentError(`'${raw}' is not a percentage (examples: 15%, 0.15).`);
  const x = Number(m[1]);
  const v = m[2] === '%' || x > 1 ? x / 100 : x;
  if (!(v > 0 && v <= 10)) throw new InvalidArgumentError(`'${raw}' must be above 0 %.`);
  return v;
}

/** --precision: a percentage above 0 and at most 50 % (`2%`, `0.02`). */
export function parsePrecision(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(raw.trim());
  if (!m) throw new InvalidArgumentError(`'${raw}' is not a percentage (examples: 2%, 0.02).`);
  const x = Number(m[1]);
  const v = m[2] === '%' || x >= 1 ? x / 100 : x;
  if (!(v > 0 && v <= 0.5)) throw new InvalidArgumentError(`--precision must be above 0 % and at most 50 %, got '${raw}'.`);
  return v;
}

/** `1Mi,4Mi` or `1,8,64` → counts, each in range, none repeated. */
export function parseCountList(name: string, min: number, max: number) {
  const one = rangeChecked(name, min, max);
  return (raw: string): number[] => {
    const xs = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map(one);
    if (xs.length === 0) throw new InvalidArgumentError(`${name} needs at least one value.`);
    if (new Set(xs).size !== xs.length) throw new InvalidArgumentError(`${name} lists one twice.`);
    return xs;
  };
}

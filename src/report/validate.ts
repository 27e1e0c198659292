// Checking a result file against the JSON contract (result.ts RunResultJson,
// peers.ts PeersResultJson) before `compare` reads it: the fields compare
// reads, each with its type, so a broken file is one line naming the field
// ("b.json: results[0].wallNs must be an object with 'mean', 'sd', 'median',
// not null"), never a TypeError from deep inside a comparison. Fields it does
// not read are not checked: later schema versions only add fields.
import { InvalidInputError } from '../errors.js';
import type { PeersResultJson } from './peers.js';
import { SCHEMA_VERSION, type RunResultJson } from './result.js';

/** A value's required shape: `what` it must be, and `check` → the first problem, or null. */
interface Shape {
  what: string;
  check(v: unknown, path: string): Problem | null;
  /** May be absent (a field added in a later version of the contract). */
  optional?: true;
}

interface Problem {
  path: string;
  what: string;
  got: unknown;
  /** The field is absent (not null: absent). */
  missing: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A leaf: `ok` decides. */
function leaf(what: string, ok: (v: unknown) => boolean): Shape {
  return { what, check: (v, path) => (ok(v) ? null : { path, what, got: v, missing: v === undefined }) };
}

const str = leaf('a string', (v) => typeof v === 'string');
const bool = leaf('true or false', (v) => typeof v === 'boolean');
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** Counts: entries, bpf calls, runs, sizes, flags. */
const count = leaf('a non-negative integer', (v) => num(v) && Number.isInteger(v) && v >= 0);
/** What compare divides by: a time, a ratio. */
const positive = leaf('a positive number', (v) => num(v) && v > 0);
const nonNegative = leaf('a number ≥ 0', (v) => num(v) && v >= 0);

function nullable(s: Shape): Shape {
  const what = `${s.what} or null`;
  return {
    what,
    check(v, path) {
      if (v === null) return null;
      const p = s.check(v, path);
      // A problem inside the value keeps its own path; the value itself may also be null.
      return p && p.path === path ? { ...p, what } : p;
    },
  };
}

function optional(s: Shape): Shape {
  return { what: s.what, optional: true, check: (v, path) => (v === undefined ? null : s.check(v, path)) };
}

function oneOf(...values: string[]): Shape {
  return leaf(values.map((x) => `'${x}'`).join(' or '), (v) => typeof v === 'string' && values.includes(v));
}

function arrayOf(item: Shape, itemName: string): Shape {
  const what = `an array of ${itemName}`;
  return {
    what,
    check(v, path) {
      if (!Array.isArray(v)) return { path, what, got: v, missing: v === undefined };
      for (let i = 0; i < v.length; i++) {
        const p = item.check(v[i], `${path}[${i}]`);
        if (p) return p;
      }
      return null;
    },
  };
}

/** An object of counts by name: `{"LOOKUP_BATCH": 257}`. */
const COUNTS = 'an object of counts by command';
const counts: Shape = {
  what: COUNTS,
  check(v, path) {
    if (!isObject(v)) return { path, what: COUNTS, got: v, missing: v === undefined };
    for (const [k, x] of Object.entries(v)) {
      const p = count.check(x, `${path}.${k}`);
      if (p) return p;
    }
    return null;
  },
};

/**
 * A peers row's bpf calls: one read as counted ({countedBy, covers, calls}),
 * or, in results from before the kernel counted every peer, the counts alone.
 */
const CALL_COUNT = "an object with 'countedBy', 'covers', 'calls' (or of counts by command)";
const callCount: Shape = {
  what: CALL_COUNT,
  check(v, path) {
    if (!isObject(v)) return { path, what: CALL_COUNT, got: v, missing: v === undefined };
    if (!('countedBy' in v) && !('calls' in v)) return counts.check(v, path);
    return CALL_COUNT_FIELDS.check(v, path);
  },
};

function obj(fields: Record<string, Shape>): Shape {
  const required = Object.entries(fields).filter(([, s]) => !s.optional);
  const what = `an object with ${required.map(([k]) => `'${k}'`).join(', ')}`;
  return {
    what,
    check(v, path) {
      if (!isObject(v)) return { path, what, got: v, missing: v === undefined };
      for (const [k, s] of Object.entries(fields)) {
        const p = s.check(v[k], path ? `${path}.${k}` : k);
        if (p) return p;
      }
      return null;
    },
  };
}

const CALL_COUNT_FIELDS = obj({ countedBy: str, covers: str, calls: counts });
const context = obj({ kernel: str, cpuModel: str });
/** A run's verdict: its sums checked (true/false), or not checkable (null: under writers, a map bpfbench did not fill). */
const runVerified = obj({ ok: bool, expectedToFail: bool, entries: count, problems: arrayOf(str, 'strings'), keySumOk: optional(nullable(bool)), checksumOk: optional(nullable(bool)) });
const wallNs = obj({ mean: positive, sd: nonNegative, median: positive, samples: arrayOf(positive, 'positive numbers') });

/** The fields of a run result (RunResultJson) that compare reads. */
const RUN = obj({
  context,
  config: obj({ mapType: str, keySize: count, valueSize: count, entries: count, maxEntries: count, mapFlags: count, chunk: count, strategies: arrayOf(str, 'strings'), loop: optional(oneOf('native', 'js')) }),
  results: arrayOf(
    obj({
      strategy: str,
      label: str,
      chunk: nullable(count),
      runs: count,
      verified: runVerified,
      wallNs,
      syscalls: obj({ bpf: counts }),
      memory: obj({ allocatedBytesPerEntry: nonNegative }),
      sharded: optional(nullable(obj({ threads: count, overlap: obj({ entries: count, calls: count }) }))),
    }),
    'strategy results',
  ),
});

/** The fields of a peers result (PeersResultJson) that compare reads. */
const PEERS = obj({
  context,
  config: obj({ entries: count, chunk: count }),
  results: arrayOf(
    obj({
      impl: str,
      loop: optional(oneOf('native', 'js')),
      strategy: str,
      verified: obj({ ok: bool, expectedToFail: bool, problems: arrayOf(str, 'strings') }),
      // null: a failed row, which timed no read.
      wallNs: nullable(obj({ median: positive, samples: arrayOf(positive, 'positive numbers') })),
      nsPerEntry: nullable(positive),
      ratioToC: nullable(positive),
      bpfCalls: nullable(callCount),
    }),
    'peer results',
  ),
});

/** `null`, `"fast"`, `an array`: what was there instead. */
function show(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}

function problemLine(file: string, p: Problem): string {
  return p.missing ? `${file}: ${p.path} is missing (it must be ${p.what})` : `${file}: ${p.path} must be ${p.what}, not ${show(p.got)}`;
}

export type ComparableResult = { kind: 'run'; result: RunResultJson } | { kind: 'peers'; result: PeersResultJson };

const notAResult = (file: string, why: string) => new InvalidInputError(`${file} is not a bpfbench run or peers result (schemaVersion ${SCHEMA_VERSION}): ${why}`);

/**
 * A parsed JSON value → a run or peers result, or an InvalidInputError whose
 * one line names `file` and the first field that breaks the contract.
 */
export function validateResult(json: unknown, file: string): ComparableResult {
  if (!isObject(json)) throw notAResult(file, `it holds ${show(json)}`);
  if (json.schemaVersion === undefined) throw notAResult(file, 'it has no schemaVersion');
  if (typeof json.schemaVersion === 'number' && json.schemaVersion > SCHEMA_VERSION) throw new InvalidInputError(`${file}: schemaVersion ${json.schemaVersion} is from a newer bpfbench (this one reads schemaVersion ${SCHEMA_VERSION}): upgrade bpfbench`);
  if (json.schemaVersion !== SCHEMA_VERSION) throw new InvalidInputError(`${file}: schemaVersion must be ${SCHEMA_VERSION} (what this bpfbench reads), not ${show(json.schemaVersion)}`);
  const kind = json.kind ?? 'run';
  if (kind !== 'run' && kind !== 'peers') throw new InvalidInputError(`${file}: kind must be 'peers' or absent (a run result), not ${show(json.kind)}`);
  const p = (kind === 'run' ? RUN : PEERS).check(json, '');
  if (p) throw new InvalidInputError(problemLine(file, p));
  return kind === 'run' ? { kind, result: json as unknown as RunResultJson } : { kind, result: json as unknown as PeersResultJson };
}

/** A file's text → a run or peers result; not JSON, or not the contract, is an InvalidInputError. */
export function parseResult(text: string, file: string): ComparableResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InvalidInputError(`cannot read ${file}: ${(e as Error).message}`);
  }
  return validateResult(json, file);
}

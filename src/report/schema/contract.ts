// The results contract checked with Ajv against the one schema (TypeBox,
// ./*-schema.ts): what `compare` and `report` read, and what tests hold
// every fresh result to. A broken file is one InvalidInputError naming the
// file and the first field that breaks the contract
// ("b.json: results[0].wallNs.median must be a positive number, not null").
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Static } from '@sinclair/typebox';
import { InvalidInputError } from '../../errors.js';
import type { PeersResultJson } from '../result/peers-result.js';
import type { RunResultJson } from '../result/run-json.js';
import type { SweepResultJson } from '../analysis/sweep-result.js';
import { CompareResult } from './compare-schema.js';
import { SCHEMA_IDS, type ResultKind } from './ids.js';
import { closed, LATER } from './kit.js';
import { PeersResult } from './peers-schema.js';
import { RunResult } from './run-schema.js';
import { SweepResult } from './sweep-schema.js';

export { SCHEMA_IDS, type ResultKind };
export const KINDS: readonly ResultKind[] = ['run', 'sweep', 'peers', 'compare'];
/** What `report` reads. */
export const REPORT_KINDS = ['run', 'sweep', 'peers'] as const;
/** What `compare` compares. */
export const COMPARE_KINDS = ['run', 'peers'] as const;
const VERSION = 1;

export type CompareResultJson = Static<ReturnType<typeof CompareResult>>;
export interface JsonOf {
  run: RunResultJson;
  sweep: SweepResultJson;
  peers: PeersResultJson;
  compare: CompareResultJson;
}
/** A result checked against the contract, by kind. */
export type Loaded<K extends ResultKind> = { [k in K]: { file: string; kind: k; json: JsonOf[k] } }[K];
/** What `report` reads. */
export type LoadedResult = Loaded<'run' | 'sweep' | 'peers'>;
/** A result file as read: its name, and its parsed JSON (not yet checked). */
export interface ResultFile {
  file: string;
  json: unknown;
}

const BUILDERS = { run: RunResult, sweep: SweepResult, peers: PeersResult, compare: CompareResult } as const;

/** The schema by kind as plain JSON: readers' (open, fields added later optional), or what this bpfbench writes (closed()). */
export function resultSchema(kind: ResultKind, mode: 'read' | 'written' = 'read'): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(BUILDERS[kind]())) as Record<string, unknown>;
  const s = mode === 'read' ? plain : { ...closed(plain), $id: SCHEMA_IDS[kind].replace(/^bpfbench\/schema\//, 'bpfbench/schema/written/') };
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...s };
}

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function validator(kind: ResultKind, mode: 'read' | 'written'): ValidateFunction {
  const key = `${kind}:${mode}`;
  let v = compiled.get(key);
  if (!v) {
    ajv ??= new Ajv({ allErrors: false, verbose: true, strictTypes: false, strictTuples: false, keywords: [LATER] });
    v = ajv.compile(resultSchema(kind, mode));
    compiled.set(key, v);
  }
  return v;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `null`, `"fast"`, `an array`: what was there instead. */
export function show(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}

/** A schema node as Ajv hands it back: untyped JSON. */
// biome-ignore lint/suspicious/noExplicitAny: schema nodes are untyped JSON, read by keyword.
type S = Record<string, any>;

/** A schema in words: 'a positive number', "'native' or 'js'", 'an object with …'. */
export function describe(s: S): string {
  if (s.anyOf) return (s.anyOf as S[]).map(describe).join(' or ');
  if (s.const !== undefined) return typeof s.const === 'string' ? `'${s.const}'` : String(s.const);
  switch (s.type) {
    case 'null':
      return 'null';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'integer':
      return s.minimum === 0 ? 'a non-negative integer' : s.minimum !== undefined ? `an integer ≥ ${s.minimum}` : 'an integer';
    case 'number':
      return s.exclusiveMinimum === 0 ? 'a positive number' : s.minimum !== undefined ? `a number ≥ ${s.minimum}` : 'a number';
    case 'array':
      return s.minItems ? 'a non-empty array' : 'an array';
    case 'object': {
      if (s.then) return `${describe(s.then)} (or ${describe(s.else)})`;
      if (s.patternProperties)
        return `an object with ${Object.values(s.patternProperties as S)
          .map(describe)
          .join(' or ')
          .replace(/^an? /, 'a ')} per name`;
      const req = (s.required as string[] | undefined) ?? [];
      const keys = req.slice(0, 5).map((k) => `'${k}'`);
      return req.length ? `an object with ${keys.join(', ')}${req.length > 5 ? ', …' : ''}` : 'an object';
    }
  }
  return 'something else';
}

/** `/results/0/wallNs` → `results[0].wallNs`. */
function pathOf(pointer: string, extra?: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

const extraKey = (e: ErrorObject): string | undefined => (e.keyword === 'required' ? e.params.missingProperty : e.keyword === 'additionalProperties' ? e.params.additionalProperty : undefined);
const depth = (e: ErrorObject) => e.instancePath.split('/').length + (extraKey(e) === undefined ? 0 : 1);

/** Ajv's errors → the one that went deepest into the value, in words. */
export function problemLine(errors: ErrorObject[]): string {
  const leaves = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'if');
  let best = leaves[0] ?? errors[0]!;
  for (const e of leaves) if (depth(e) > depth(best) || (depth(e) === depth(best) && best.keyword === 'type' && e.keyword !== 'type')) best = e;
  const path = pathOf(best.instancePath, extraKey(best));
  if (best.keyword === 'required') return `${path} is missing (it must be ${describe(best.parentSchema!.properties[best.params.missingProperty])})`;
  if (best.keyword === 'additionalProperties') return `${path} is not a field of the contract`;
  // A value none of a union's forms takes: say them all.
  const union = errors.find((e) => e.keyword === 'anyOf' && e.instancePath === best.instancePath);
  if (best.keyword === 'minItems' && best.params.limit === 1) return `${path} is empty`;
  return `${path} must be ${describe((union ?? best).parentSchema as S)}, not ${show(best.data)}`;
}

const kindsText = (kinds: readonly ResultKind[]) => (kinds.length === 1 ? kinds[0]! : `${kinds.slice(0, -1).join(', ')} or ${kinds[kinds.length - 1]}`);
const kindList = (kinds: readonly ResultKind[]) => kinds.map((k) => (k === 'run' ? 'absent (a run result)' : `'${k}'`)).join(' or ');

/**
 * A parsed JSON value → a result of one of `kinds`, or an InvalidInputError
 * whose one line names `file` and the first field that breaks the contract.
 * `written`: hold it to what this bpfbench writes (closed objects, every
 * later field present), as tests do; readers take the open contract.
 */
export function checkResult<K extends ResultKind>(file: string, json: unknown, kinds: readonly K[], mode: 'read' | 'written' = 'read'): Loaded<K> {
  const notAResult = (why: string) => new InvalidInputError(`${file} is not a bpfbench ${kindsText(kinds)} result (schemaVersion ${VERSION}): ${why}`);
  if (!isObject(json)) throw notAResult(`it holds ${show(json)}`);
  const v = json.schemaVersion;
  if (v === undefined) throw notAResult('it has no schemaVersion');
  if (typeof v === 'number' && v > VERSION) throw new InvalidInputError(`${file}: schemaVersion ${v} is from a newer bpfbench (this one reads schemaVersion ${VERSION}): upgrade bpfbench`);
  if (v !== VERSION) throw new InvalidInputError(`${file}: schemaVersion must be ${VERSION} (what this bpfbench reads), not ${show(v)}`);
  const kind = (json.kind ?? 'run') as K;
  if (!kinds.includes(kind)) throw new InvalidInputError(`${file}: kind must be ${kindList(kinds)}, not ${show(json.kind)}`);
  const validate = validator(kind, mode);
  if (!validate(json)) throw new InvalidInputError(`${file}: ${problemLine(validate.errors ?? [])}`);
  return { file, kind, json } as unknown as Loaded<K>;
}

/** A file's text → a result of one of `kinds`; not JSON, or not the contract, is an InvalidInputError naming the file. */
export function parseResult<K extends ResultKind>(file: string, text: string, kinds: readonly K[]): Loaded<K> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InvalidInputError(`${file}: not JSON (${(e as Error).message})`);
  }
  return checkResult(file, json, kinds);
}

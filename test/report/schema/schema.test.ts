// The schema itself: every committed result follows it, the shipped files
// are what the TypeBox source gives, the TypeScript types of the results and
// the schema name the same fields, and closed() closes what bpfbench writes.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import type { Static } from '@sinclair/typebox';
import { ROOT } from '../../../src/paths.js';
import type { PeersResultJson } from '../../../src/report/result/peers-result.js';
import type { RunResultJson } from '../../../src/report/result/run-json.js';
import type { CompareResult } from '../../../src/report/schema/compare-schema.js';
import { schemaFiles } from '../../../src/report/schema/emit.js';
import { checkResult, KINDS, resultSchema } from '../../../src/report/schema/index.js';
import { Later, Obj, Open, Str, closed } from '../../../src/report/schema/kit.js';
import type { PeersResult } from '../../../src/report/schema/peers-schema.js';
import type { RunResult } from '../../../src/report/schema/run-schema.js';
import type { SweepResult } from '../../../src/report/schema/sweep-schema.js';
import type { SweepResultJson } from '../../../src/report/analysis/sweep-result.js';
import type { Comparison } from '../../../src/report/analysis/compare-baseline.js';

/** Committed JSON that is not a bpfbench result: the scripts' experiment records, the published Go figures, the gate calibration. */
const NOT_RESULTS = new Set([
  'results/counter-attached-overhead-1Mi.json',
  'results/counter-overhead-1Mi.json',
  'results/gate-calibration.json',
  'results/latency-overhead-1Mi.json',
  'results/native-handover-100Mi.json',
  'results/native-handover-16Mi.json',
  'results/native-handover-1Mi.json',
  'results/published/go-bpf-batch-test.json',
]);

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? jsonFiles(p) : p.endsWith('.json') ? [p] : [];
  });
}

test('every committed result under results/ follows the schema of its kind', () => {
  const files = jsonFiles(join(ROOT, 'results')).map((p) => relative(ROOT, p));
  const kinds = new Set<string>();
  for (const f of files) {
    if (NOT_RESULTS.has(f)) continue;
    kinds.add(checkResult(f, JSON.parse(readFileSync(join(ROOT, f), 'utf8')), KINDS).kind);
  }
  assert.deepEqual([...kinds].sort(), ['peers', 'run', 'sweep']);
  for (const f of NOT_RESULTS) assert.ok(files.includes(f), `${f} is gone: take it off NOT_RESULTS`);
});

test('schema/*.schema.json are what the TypeBox source gives (make schema writes them)', () => {
  for (const [name, text] of Object.entries(schemaFiles())) {
    const committed = readFileSync(join(ROOT, 'schema', name), 'utf8');
    assert.equal(committed, text, `schema/${name} is stale: run make schema`);
  }
  assert.deepEqual(readdirSync(join(ROOT, 'schema')).sort(), Object.keys(schemaFiles()).sort());
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  assert.ok(pkg.files.includes('schema/*.schema.json'), 'the npm package ships the schema');
});

test("closed() closes the contract's objects, requires the fields added later, and leaves open objects and records open", () => {
  const s = closed(JSON.parse(JSON.stringify(Obj({ a: Str(), b: Later(Str()), o: Open({ c: Str() }) }))));
  assert.equal(s.additionalProperties, false);
  assert.deepEqual(s.required, ['a', 'o', 'b']);
  assert.equal(s.properties.o.additionalProperties, true);
  assert.equal(resultSchema('run').additionalProperties, undefined, 'readers take fields they do not know');
  assert.equal((resultSchema('run', 'written').properties as any).summary.properties.speedup.additionalProperties, undefined, 'a record stays a record');
});

// --- The TypeScript types and the schema name the same fields -----------------------

/** Every field path of a JSON type (`results.wallNs.median`), through arrays and null; records' names are not fields. */
type Paths<T> = T extends readonly (infer E)[]
  ? Paths<E>
  : T extends object
    ? { [K in keyof T & string]-?: string extends K ? never : K | `${K}.${Paths<NonNullable<T[K]>>}` }[keyof T & string]
    : never;
/** 'ok' when A and B hold the same paths; else the paths only one has, which fails to compile. */
type Same<A, B> = [Exclude<A, B> | Exclude<B, A>] extends [never] ? 'ok' : Exclude<A, B> | Exclude<B, A>;

// A field in one and not the other is a compile error naming it.
const run: Same<Paths<RunResultJson>, Exclude<Paths<Static<ReturnType<typeof RunResult>>>, `reproduction${string}`>> = 'ok';
const sweep: Same<Paths<SweepResultJson>, Paths<Static<ReturnType<typeof SweepResult>>>> = 'ok';
const peers: Same<Paths<PeersResultJson>, Paths<Static<ReturnType<typeof PeersResult>>>> = 'ok';
const compare: Same<
  Paths<Comparison & { baseline: string; threshold: number; current: string; kind: 'compare'; schemaVersion: number; $schema: string }>,
  Paths<Static<ReturnType<typeof CompareResult>>>
> = 'ok';

test('the TypeScript types of the results and the schema name the same fields (checked when this file compiles)', () => {
  assert.deepEqual([run, sweep, peers, compare], ['ok', 'ok', 'ok', 'ok']);
});

// report/schema/contract.ts: a result file against the one schema of the
// JSON contract, before compare (or report) reads it. Each broken input is one InvalidInputError (exit 2) whose message
// names the file and the field; a valid result passes through unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../../src/errors.js';
import { checkResult, COMPARE_KINDS, parseResult } from '../../../src/report/schema/index.js';
import { peersResult, runResult } from '../analysis/fixtures-compare.js';

type Json = { [k: string]: any };

const validateResult = (json: unknown, file: string) => checkResult(file, json, COMPARE_KINDS);

/** `change` applied to a fresh run (or peers) result → the message the check throws. */
function problem(change: (j: Json) => void, make: () => object = runResult): string {
  const j = make() as Json;
  change(j);
  try {
    validateResult(JSON.parse(JSON.stringify(j)), 'b.json');
  } catch (e) {
    assert.ok(e instanceof InvalidInputError, `an InvalidInputError, not ${String(e)}`);
    assert.doesNotMatch(e.message, /\n/, 'one line');
    return e.message;
  }
  assert.fail('accepted');
}

test('valid run and peers results pass, as what they are', () => {
  const run = runResult();
  const v = validateResult(run, 'a.json');
  assert.equal(v.kind, 'run');
  assert.equal(v.json, run);
  const peers = peersResult();
  const p = validateResult(peers, 'p.json');
  assert.equal(p.kind, 'peers');
  assert.equal(p.json, peers);
  // Fields the contract may add later, and results from before config.loop, are fine.
  const old = runResult() as Json;
  delete old.config.loop;
  old.futureField = { x: 1 };
  assert.equal(validateResult(old, 'old.json').kind, 'run');
  // Per-element rows have chunk null; peers without C have ratioToC null, bpftool no bpfCalls.
  const pj = peersResult() as Json;
  pj.results[0].ratioToC = null;
  pj.results[0].bpfCalls = null;
  pj.results[1].bpfCalls = { LOOKUP_BATCH: 17 };
  delete pj.results[1].loop;
  assert.equal(validateResult(pj, 'p.json').kind, 'peers');
});

test('null, missing and wrong-typed fields: one line naming the field', () => {
  assert.equal(
    problem((j) => (j.results[0].wallNs = null)),
    "b.json: results[0].wallNs must be an object with 'mean', 'sd', 'median', 'min', 'max', …, not null",
  );
  assert.equal(
    problem((j) => (j.results[1].wallNs.median = null)),
    'b.json: results[1].wallNs.median must be a positive number, not null',
  );
  assert.equal(
    problem((j) => delete j.results[1].syscalls),
    "b.json: results[1].syscalls is missing (it must be an object with 'bpf', 'bpfTotal', 'perEntry', 'variedBetweenRuns', 'kernel', …)",
  );
  assert.equal(
    problem((j) => delete j.context.kernel),
    'b.json: context.kernel is missing (it must be a string)',
  );
  assert.equal(
    problem((j) => (j.config.entries = '1Mi')),
    'b.json: config.entries must be a non-negative integer, not "1Mi"',
  );
  assert.equal(
    problem((j) => (j.config.loop = 'fast')),
    "b.json: config.loop must be 'native' or 'js', not \"fast\"",
  );
  assert.equal(
    problem((j) => (j.results = {})),
    'b.json: results must be a non-empty array, not an object',
  );
  assert.equal(
    problem((j) => (j.results[0].verified.ok = 'yes')),
    'b.json: results[0].verified.ok must be true or false, not "yes"',
  );
  assert.equal(
    problem((j) => (j.results[1].syscalls.bpf.LOOKUP_BATCH = -1)),
    'b.json: results[1].syscalls.bpf.LOOKUP_BATCH must be a non-negative integer, not -1',
  );
  assert.equal(
    problem((j) => (j.results[0].chunk = 'none')),
    'b.json: results[0].chunk must be a non-negative integer or null, not "none"',
  );
  assert.equal(
    problem((j) => (j.results[0].wallNs.mean = 0)),
    'b.json: results[0].wallNs.mean must be a positive number, not 0',
  );
  assert.equal(
    problem((j) => (j.results[0].memory.allocatedBytesPerEntry = null)),
    'b.json: results[0].memory.allocatedBytesPerEntry must be a number ≥ 0, not null',
  );
  assert.equal(
    problem((j) => (j.config.strategies = ['elem', 3])),
    'b.json: config.strategies[1] must be a string, not 3',
  );
  // The sums: checked (true/false), or null where nothing written could hold them (under writers, a map bpfbench did not fill).
  assert.equal(
    problem((j) => (j.results[0].verified.keySumOk = 'yes')),
    'b.json: results[0].verified.keySumOk must be true or false or null, not "yes"',
  );
  const nulls = runResult() as Json;
  nulls.results[0].verified.keySumOk = null;
  nulls.results[0].verified.checksumOk = null;
  assert.equal(validateResult(nulls, 'b.json').kind, 'run');
});

test('peers results: the fields comparePeers reads', () => {
  assert.equal(
    problem((j) => (j.results[1].ratioToC = 'fast'), peersResult),
    'b.json: results[1].ratioToC must be a positive number or null, not "fast"',
  );
  assert.equal(
    problem((j) => (j.results[0].bpfCalls = []), peersResult),
    "b.json: results[0].bpfCalls must be an object with 'countedBy', 'covers', 'calls' (or an object with a non-negative integer per name) or null, not an array",
  );
  assert.equal(
    problem((j) => (j.results[0].bpfCalls.calls.LOOKUP_ELEM = 1.5), peersResult),
    'b.json: results[0].bpfCalls.calls.LOOKUP_ELEM must be a non-negative integer, not 1.5',
  );
  assert.equal(
    problem((j) => delete j.results[0].bpfCalls.covers, peersResult),
    "b.json: results[0].bpfCalls.covers is missing (it must be 'read' or 'process')",
  );
  // Results from before the kernel counted every peer: the counts alone.
  assert.equal(
    problem((j) => (j.results[0].bpfCalls = { LOOKUP_ELEM: -1 }), peersResult),
    'b.json: results[0].bpfCalls.LOOKUP_ELEM must be a non-negative integer, not -1',
  );
  assert.equal(
    problem((j) => (j.results[0].loop = 'fast'), peersResult),
    "b.json: results[0].loop must be 'native' or 'js', not \"fast\"",
  );
  assert.equal(
    problem((j) => delete j.results[2].impl, peersResult),
    'b.json: results[2].impl is missing (it must be a string)',
  );
  assert.equal(
    problem((j) => (j.config.chunk = null), peersResult),
    'b.json: config.chunk must be a non-negative integer, not null',
  );
});

test('not a result at all, another schemaVersion, another kind', () => {
  assert.equal(
    problem((j) => delete j.schemaVersion),
    'b.json is not a bpfbench run or peers result (schemaVersion 1): it has no schemaVersion',
  );
  assert.equal(
    problem((j) => (j.schemaVersion = 2)),
    'b.json: schemaVersion 2 is from a newer bpfbench (this one reads schemaVersion 1): upgrade bpfbench',
  );
  assert.equal(
    problem((j) => (j.kind = 'compare')),
    'b.json: kind must be absent (a run result) or \'peers\', not "compare"',
  );
  assert.throws(() => validateResult([1, 2], 'b.json'), { name: 'InvalidInputError', message: 'b.json is not a bpfbench run or peers result (schemaVersion 1): it holds an array' });
  assert.throws(() => validateResult(null, 'b.json'), { name: 'InvalidInputError', message: 'b.json is not a bpfbench run or peers result (schemaVersion 1): it holds null' });
  assert.throws(
    () => parseResult('b.json', '{"schemaVersion": 1,', COMPARE_KINDS),
    (e: Error) => e instanceof InvalidInputError && /^b\.json: not JSON \(/.test(e.message),
  );
  assert.equal(parseResult('a.json', JSON.stringify(runResult()), COMPARE_KINDS).kind, 'run');
});

test('a sharded row: sharded{threads, overlap{entries, calls}} passes, null passes, a malformed one is one line naming the field', () => {
  const ok = runResult() as Json;
  ok.results[0].sharded = { threads: 2, overlap: { entries: 3363, calls: 1, mismatched: 0 }, perShard: { entries: [1, 2], calls: [1, 1], ns: [5, 6] } };
  ok.results[1].sharded = null;
  assert.equal(validateResult(ok, 'a.json').kind, 'run');
  assert.match(
    problem((j) => (j.results[0].sharded = { threads: 2, overlap: { entries: -1, calls: 1, mismatched: 0 }, perShard: { entries: [1], calls: [1], ns: [1] } })),
    /b\.json: results\[0\]\.sharded\.overlap\.entries/,
  );
  assert.match(
    problem((j) => (j.results[0].sharded = { threads: 2 })),
    /b\.json: results\[0\]\.sharded\.overlap/,
  );
});

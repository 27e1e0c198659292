// What bpfbench writes, held to the schema of what it writes: small real
// runs of run, sweep, peers (bpfbench and C) and compare, each validated
// with every object of the contract closed and every field added later
// required, so a key added, renamed or dropped without the schema fails here.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkResult, SCHEMA_IDS, type ResultKind } from '../../src/report/schema/index.js';
import { runCli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bpfbench-schema-'));

/** Runs `args` (with `--json -`), and checks its JSON against the written schema of `kind`; returns the JSON text. */
function written(kind: ResultKind, args: string[]): string {
  const r = runCli([...args, '--json', '-']);
  assert.ok(r.status === 0 || (kind === 'compare' && r.status !== 2), `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  const json = JSON.parse(r.stdout);
  assert.equal(json.$schema, SCHEMA_IDS[kind]);
  assert.equal(checkResult(`${args[0]} --json`, json, [kind], 'written').kind, kind);
  return r.stdout;
}

test('run --entries 64Ki and compare: their JSON follows the schema, closed', () => {
  const args = ['run', '--entries', '64Ki', '--runs', '2', '--warmup', '0', '--map-flags', 'zero_seed'];
  const a = join(dir, 'a.json');
  const b = join(dir, 'b.json');
  writeFileSync(a, written('run', args));
  writeFileSync(b, written('run', [...args, '--strategies', 'elem,batch']));
  written('compare', ['compare', a, b]);
});

test('sweep: its JSON follows the schema, closed', () => {
  written('sweep', ['sweep', '--entries', '16Ki,32Ki', '--chunks', '64,256', '--runs', '1', '--warmup', '0', '--max-call-latency', '1ms', '--out-dir', dir]);
});

test('peers --impls ts,c: its JSON follows the schema, closed', () => {
  written('peers', ['peers', '--entries', '64Ki', '--rounds', '1', '--impls', 'ts,c', '--strategies', 'elem,batch']);
});

test('the closed schema refuses a key it does not know, and one added later that is missing', () => {
  const r = runCli(['run', '--entries', '16Ki', '--runs', '1', '--warmup', '0', '--strategies', 'batch', '--json', '-']);
  assert.equal(r.status, 0, r.stderr);
  const extra = JSON.parse(r.stdout);
  extra.results[0].wallNs.p42 = 1;
  assert.throws(
    () => checkResult('x.json', extra, ['run'], 'written'),
    /^Error: x\.json: results\[0\]\.wallNs\.p42 is not a field of the contract$|x\.json: results\[0\]\.wallNs\.p42 is not a field of the contract/,
  );
  assert.equal(checkResult('x.json', extra, ['run']).kind, 'run', 'readers take it');
  const missing = JSON.parse(r.stdout);
  delete missing.config.loop;
  assert.throws(() => checkResult('x.json', missing, ['run'], 'written'), /x\.json: config\.loop is missing/);
  assert.equal(checkResult('x.json', missing, ['run']).kind, 'run', 'readers take results from before --loop');
});

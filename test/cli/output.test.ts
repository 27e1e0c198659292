// The one output stage: what each command declares it can write, the common
// options every command takes, and the stage's checks and writes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildProgram, type Io } from '../../src/cli/main.js';
import { OUTPUT } from '../../src/cli/output-options.js';
import { declareOutputs, openOutputs } from '../../src/cli/output.js';

function captured(): { io: Io; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const stream = (append: (s: string) => void) =>
    ({
      isTTY: false,
      write: (s: string) => {
        append(s);
        return true;
      },
    }) as unknown as NodeJS.WriteStream;
  return { io: { stdout: stream((s) => (out += s)), stderr: stream((s) => (err += s)), env: {} }, out: () => out, err: () => err };
}

/** The commands that write a result, and the outputs each offers. */
const WRITES: Record<string, string[]> = {
  run: ['--json', '--html', '--export-markdown', '--export-csv', '--export-gab'],
  sweep: ['--json', '--html'],
  peers: ['--json', '--html'],
  report: ['--html', '--markdown'],
  compare: ['--json'],
  reproduce: ['--json'],
  info: ['--json'],
  load: [],
  unload: [],
};

test('every command takes --no-color, --debug and --help, and the outputs it declares (--json where it writes a result)', () => {
  const program = buildProgram(captured().io, () => {});
  assert.deepEqual(program.commands.map((c) => c.name()).sort(), Object.keys(WRITES).sort());
  for (const cmd of program.commands) {
    const longs = cmd.options.map((o) => o.long);
    for (const common of ['--no-color', '--debug']) assert.ok(longs.includes(common), `${cmd.name()} ${common}`);
    const outputs = longs.filter((l) => l && ['--json', '--html', '--markdown', '--export-markdown', '--export-csv', '--export-gab'].includes(l));
    assert.deepEqual(outputs, WRITES[cmd.name()], cmd.name());
  }
});

test('a command cannot declare an output its document has no rendering in', () => {
  assert.throws(() => declareOutputs('peers', OUTPUT.exportCsv()), /--export-csv <file>: CSV cannot render a peers document/);
  assert.throws(() => declareOutputs('data', OUTPUT.html()), /HTML cannot render a data document/);
  assert.doesNotThrow(() => declareOutputs('run', OUTPUT.json(), OUTPUT.html(), OUTPUT.exportMarkdown(), OUTPUT.exportCsv(), OUTPUT.exportGab()));
});

test('the stage: one destination on stdout moves the human output to stderr; files are written atomically; a bare optional flag is stdout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-out-'));
  try {
    const outputs = declareOutputs('data', OUTPUT.jsonToStdout());
    const c = captured();
    const none = openOutputs(outputs, {}, c.io);
    assert.equal(none.human, c.io.stdout);
    none.write({ kind: 'data', json: { a: 1 } });
    assert.equal(c.out(), '');
    const bare = openOutputs(outputs, { json: true }, c.io);
    assert.equal(bare.human, c.io.stderr);
    bare.write({ kind: 'data', json: { a: 1 } });
    assert.equal(c.out(), '{\n  "a": 1\n}\n');
    const file = join(dir, 'new', 'x.json');
    const named = openOutputs(outputs, { json: file }, c.io);
    assert.equal(c.err(), `bpfbench: ${join(dir, 'new')} does not exist: it will be made for --json\n`);
    assert.equal(named.fileOf('json'), file);
    named.write({ kind: 'data', json: [1] });
    assert.equal(readFileSync(file, 'utf8'), '[\n  1\n]\n');
    assert.throws(() => named.write({ kind: 'report', results: [] }), /a report document where data was declared/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two outputs to stdout are refused by the stage, once, for every command', () => {
  const outputs = declareOutputs('run', OUTPUT.json(), OUTPUT.exportCsv(), OUTPUT.exportGab());
  assert.throws(() => openOutputs(outputs, { json: '-', exportGab: '-' }, captured().io), /^InvalidInputError: --json and --export-gab cannot both go to stdout/);
  assert.throws(() => openOutputs(outputs, { json: '-', exportCsv: '-', exportGab: '-' }, captured().io), /--json, --export-csv and --export-gab cannot both go to stdout/);
});

// main() in process with an injected Io: every line, '-' results included,
// goes to the given streams; --debug is what commander parsed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main, type Io } from '../../src/cli/main.js';
import { filledHashMap } from '../helpers.js';

function captured(): { io: Io; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const stream = (append: (s: string) => void) => ({ isTTY: false, columns: 80, write: (s: string) => (append(s), true) }) as unknown as NodeJS.WriteStream;
  return {
    io: { stdout: stream((s) => (out += s)), stderr: stream((s) => (err += s)), env: { NO_COLOR: '1' } },
    out: () => out,
    err: () => err,
  };
}

const bpfbench = (...args: string[]) => ['node', 'bpfbench', ...args];

test('info without a map: exit 2, one line on the injected stderr', async () => {
  const c = captured();
  assert.equal(await main(bpfbench('info'), c.io), 2);
  assert.equal(c.err(), 'bpfbench: info needs one of --pin PATH or --map-id ID\n');
  assert.equal(c.out(), '');
});

test("info --json writes the JSON through the injected stdout", async () => {
  const map = filledHashMap(1000);
  try {
    const c = captured();
    assert.equal(await main(bpfbench('info', '--map-id', String(map.info.id), '--json'), c.io), 0, c.err());
    const j = JSON.parse(c.out());
    assert.deepEqual([j.id, j.typeName, j.keySize, j.valueSize, j.maxEntries, j.pin], [map.info.id, 'hash', 4, 4, 1000, null]);
    assert.equal(c.err(), '');
  } finally {
    map.close();
  }
});

test('--debug is the parsed option: the stack with it, one line without, and not when it is another flag\'s value', async () => {
  const missing = '/nonexistent/bpfbench-result.json';
  const plain = captured();
  assert.equal(await main(bpfbench('compare', missing, missing), plain.io), 1);
  assert.equal(plain.err().trimEnd().split('\n').length, 1, plain.err());
  assert.match(plain.err(), /^bpfbench: cannot read \/nonexistent\/bpfbench-result\.json: ENOENT/);

  const debug = captured();
  assert.equal(await main(bpfbench('compare', missing, missing, '--debug'), debug.io), 1);
  assert.match(debug.err(), /^bpfbench: cannot read .*\nUsageError: cannot read .*\n +at /);

  const asValue = captured();
  assert.equal(await main(bpfbench('compare', missing, missing, '--json', '--debug'), asValue.io), 1);
  assert.equal(asValue.err(), plain.err(), '--json took --debug as its file name');
});

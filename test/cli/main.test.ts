// main() in process with an injected Io: every line, '-' results included,
// goes to the given streams; --debug is what commander parsed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NATIVE_NOT_BUILT, setNativeLibPath } from '../../src/bpf/native/native-library.js';
import { main, type Io } from '../../src/cli/main.js';
import { NATIVE_LIB } from '../../src/paths.js';
import { filledHashMap } from '../helpers.js';

function captured(): { io: Io; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const stream = (append: (s: string) => void) =>
    ({
      isTTY: false,
      columns: 80,
      write: (s: string) => {
        append(s);
        return true;
      },
    }) as unknown as NodeJS.WriteStream;
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
  assert.equal(c.err(), 'bpfbench: info needs one of --pin PATH or --map-id ID, or --kernel\n');
  assert.equal(c.out(), '');
});

test('info --json writes the JSON through the injected stdout', async () => {
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

test("--debug is the parsed option: the stack with it, one line without, and not when it is another flag's value", async () => {
  const missing = '/nonexistent/bpfbench-result.json';
  const plain = captured();
  assert.equal(await main(bpfbench('compare', missing, missing), plain.io), 2);
  assert.equal(plain.err().trimEnd().split('\n').length, 1, plain.err());
  assert.match(plain.err(), /^bpfbench: cannot read \/nonexistent\/bpfbench-result\.json: ENOENT/);

  const debug = captured();
  assert.equal(await main(bpfbench('compare', missing, missing, '--debug'), debug.io), 2);
  assert.match(debug.err(), /^bpfbench: cannot read .*\nInvalidInputError: cannot read .*\n +at /);

  const asValue = captured();
  assert.equal(await main(bpfbench('compare', missing, missing, '--json', '--debug'), asValue.io), 2);
  assert.equal(asValue.err(), plain.err(), '--json took --debug as its file name');
});

test('without the native library: run, sweep and reproduce exit 1 with its one line before making a map; --loop js runs', async () => {
  setNativeLibPath('/nonexistent/libbpfbench.so');
  try {
    // 4Gi-1 entries: a map planned first would have been refused by the memory check instead.
    for (const args of [
      ['run', '--entries', '4294967295'],
      ['run', '--entries', '4294967295', '--loop', 'native', '--strategies', 'iter'],
      ['sweep', '--entries', '4294967295', '--out-dir', '/nonexistent'],
      ['reproduce', '--entries', '4294967295'],
    ]) {
      const c = captured();
      assert.equal(await main(bpfbench(...args), c.io), 1, args.join(' '));
      assert.equal(c.err(), `bpfbench: ${NATIVE_NOT_BUILT}\n`, args.join(' '));
      assert.equal(c.out(), '');
    }
    const js = captured();
    assert.equal(await main(bpfbench('run', '--entries', '4096', '--runs', '1', '--strategies', 'elem,batch', '--loop', 'js', '--json', '-'), js.io), 0, js.err());
    assert.equal(JSON.parse(js.out()).config.loop, 'js');
  } finally {
    setNativeLibPath(NATIVE_LIB);
  }
});

test("a run's phases go to the injected stderr as lines (it is no terminal); with --json - the injected stdout holds the JSON alone", async () => {
  const c = captured();
  assert.equal(await main(bpfbench('run', '--entries', '4096', '--runs', '1', '--strategies', 'elem,batch', '--json', '-'), c.io), 0, c.err());
  assert.equal(JSON.parse(c.out()).results.length, 2);
  const phases = c
    .err()
    .split('\n')
    .map((l) => /^bpfbench: (.+) … done in \d+(\.\d+)? (ns|µs|ms|s|min)$/.exec(l)?.[1])
    .filter((p) => p !== undefined);
  // --warmup auto on 4,096 entries: one warmup read each.
  assert.deepEqual(phases, ['create map (4,096 entries)', 'fill (prog)', 'elem warmup 1/1', 'elem run 1', 'batch(4096) warmup 1/1', 'batch(4096) run 1']);
  assert.match(c.err(), /^bpfbench run: hash u32→u32, 4,096 entries, loop native$/m, 'the table follows on stderr');
});

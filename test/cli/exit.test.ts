// src/cli/exit.ts: every error kind → one exit code and the lines printed.
// Pure: errors are constructed here, nothing runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommanderError } from 'commander';
import { BpfError, Errno } from '../../src/bpf/syscall/bpf-errors.js';
import { ChunkTooSmallError } from '../../src/bpf/maps/batch-cursor.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, INTERNAL_ERROR_LINE, errorExit } from '../../src/cli/exit.js';
import { InvalidInputError, InvariantError, UsageError } from '../../src/errors.js';
import { PRIVILEGE_HINT } from '../../src/harness/filling/preflight.js';
import { MapChangedError } from '../../src/strategies/elem.js';

test('InvalidInputError and UsageError(invalid) exit 2; UsageError (cannot-run) exits 1; one line each', () => {
  assert.deepEqual(errorExit(new InvalidInputError('--pin and --map-id name two maps: give one')), { code: EXIT_USAGE, lines: ['bpfbench: --pin and --map-id name two maps: give one'] });
  assert.deepEqual(errorExit(new UsageError('bad flag', 'invalid')), { code: EXIT_USAGE, lines: ['bpfbench: bad flag'] });
  assert.deepEqual(errorExit(new UsageError('no baseline here')), { code: EXIT_FAILURE, lines: ['bpfbench: no baseline here'] });
  assert.deepEqual(errorExit(new UsageError('no memory', 'cannot-run')), { code: EXIT_FAILURE, lines: ['bpfbench: no memory'] });
});

test('a BpfError exits 1 with the privilege and memory hints, no internal-error line', () => {
  assert.deepEqual(errorExit(new BpfError('MAP_CREATE', Errno.EPERM)), { code: EXIT_FAILURE, lines: [`bpfbench: bpf MAP_CREATE failed: EPERM: ${PRIVILEGE_HINT}`] });
  assert.deepEqual(errorExit(new BpfError('MAP_CREATE', Errno.ENOMEM)), {
    code: EXIT_FAILURE,
    lines: ['bpfbench: bpf MAP_CREATE failed: ENOMEM: the kernel could not allocate the map; use fewer --entries'],
  });
  assert.deepEqual(errorExit(new BpfError('OBJ_GET', Errno.ENOENT, '/x')), { code: EXIT_FAILURE, lines: ['bpfbench: bpf OBJ_GET failed: ENOENT (/x)'] });
});

test('ChunkTooSmallError names --chunk from its chunk, whatever the bpf layer says', () => {
  const e = new ChunkTooSmallError(7);
  const line = 'bpfbench: bpf LOOKUP_BATCH failed: ENOSPC (the next hash bucket holds more than --chunk 7 entries)';
  assert.deepEqual(errorExit(e), { code: EXIT_FAILURE, lines: [line] });
  e.message = 'bpf LOOKUP_BATCH failed: ENOSPC (a bucket holds more than 7 entries)';
  assert.deepEqual(errorExit(e), { code: EXIT_FAILURE, lines: [line] });
});

test('MapChangedError exits 1 without the internal-error line: it is a UsageError, nothing matches it by name', () => {
  assert.ok(new MapChangedError(12) instanceof UsageError);
  assert.deepEqual(errorExit(new MapChangedError(12)), { code: EXIT_FAILURE, lines: [`bpfbench: ${new MapChangedError(12).message}`] });
  // Another error that only takes its name is not trusted by it.
  class Impostor extends Error {
    constructor() {
      super('walk aborted');
      this.name = 'MapChangedError';
    }
  }
  assert.equal(errorExit(new Impostor()).lines.length, 2);
});

test('InvariantError and any other error exit 1 with the internal-error line; --debug shows the stack instead', () => {
  assert.deepEqual(errorExit(new InvariantError('count went negative')), { code: EXIT_FAILURE, lines: ['bpfbench: count went negative', INTERNAL_ERROR_LINE] });
  assert.deepEqual(errorExit(new TypeError('x is undefined')), { code: EXIT_FAILURE, lines: ['bpfbench: x is undefined', INTERNAL_ERROR_LINE] });
  assert.deepEqual(errorExit('thrown string'), { code: EXIT_FAILURE, lines: ['bpfbench: thrown string', INTERNAL_ERROR_LINE] });
  const e = new InvariantError('count went negative');
  assert.deepEqual(errorExit(e, true), { code: EXIT_FAILURE, lines: ['bpfbench: count went negative', e.stack] });
  const u = new InvalidInputError('bad');
  assert.deepEqual(errorExit(u, true), { code: EXIT_USAGE, lines: ['bpfbench: bad', u.stack] });
});

test("commander's outcomes: help and version exit 0, parse errors 2, nothing more printed", () => {
  assert.deepEqual(errorExit(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)')), { code: EXIT_OK, lines: [] });
  assert.deepEqual(errorExit(new CommanderError(0, 'commander.version', '0.1.0')), { code: EXIT_OK, lines: [] });
  assert.deepEqual(errorExit(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'")), { code: EXIT_USAGE, lines: [] });
  assert.deepEqual(errorExit(new CommanderError(1, 'commander.invalidArgument', 'error: bad')), { code: EXIT_USAGE, lines: [] });
});

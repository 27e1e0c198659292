// bpfbench run: create and fill a map (or open a pinned one, or one by id),
// read it with each strategy, print the table; optionally save or compare
// with a baseline and export the result.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { InvalidInputError, UsageError } from '../../errors.js';
import { BASELINE_DIR } from '../../paths.js';
import { compareResults, renderComparison } from '../../report/analysis/compare-baseline.js';
import type { RunResultJson } from '../../report/result/run-json.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_REGRESSION, EXIT_UNDECIDED } from '../exit.js';
import { DEFAULT_THRESHOLD } from './compare.js';
import { useColor, type CommandContext, type Io } from '../io.js';
import { measureAndPrint, type MeasuredRunFlags } from '../measured-run.js';
import {
  addOptions,
  allStrategiesOption,
  chunkOption,
  entriesOption,
  fillOption,
  loopOption,
  mapFlagsOption,
  mapIdOption,
  mapShapeOptions,
  maxEntriesOption,
  measureOptions,
  objectOption,
  pinOption,
  strictChunkOption,
  threadsOption,
  writersOptions,
} from '../options.js';
import { finishOptions, OUTPUT, verboseOption } from '../output-options.js';
import { declareOutputs, openOutputs, outputOptions, writeDocument } from '../output.js';
import { parsePercent } from '../parse.js';

const BASELINE_GROUP = 'Baseline options:';

/** What run can write: its result as JSON, HTML, Markdown, CSV and for github-action-benchmark. */
const OUTPUTS = declareOutputs('run', OUTPUT.json(), OUTPUT.html(), OUTPUT.exportMarkdown(), OUTPUT.exportCsv(), OUTPUT.exportGab());

interface RunFlags extends MeasuredRunFlags {
  strategies: string[];
  saveBaseline?: string;
  force: boolean;
  baseline?: string;
  threshold: number;
  strictTime: boolean;
}

/** Where baselines live: results/baselines/, or BPFBENCH_BASELINE_DIR. */
const baselinePath = (name: string, io: Io) => join(io.env.BPFBENCH_BASELINE_DIR ?? BASELINE_DIR, `${name}.json`);

/** Flags that describe a map to make: they mean nothing for one that exists (--pin, --map-id). */
const MAKING_FLAGS = ['mapType', 'keySize', 'valueSize', 'entries', 'maxEntries', 'fill', 'mapFlags'];

/** With --pin or --map-id, the map-making flags given on the command line are refused, named, in one line (not ignored). */
function refuseMakingFlags(flags: RunFlags, cmd: Command): void {
  const existing = flags.pin !== undefined ? '--pin' : flags.mapId !== undefined ? '--map-id' : undefined;
  if (existing === undefined) return;
  const given = cmd.options.filter((o) => MAKING_FLAGS.includes(o.attributeName()) && cmd.getOptionValueSource(o.attributeName()) === 'cli').map((o) => o.long!);
  if (given.length === 0) return;
  const list = given.length === 1 ? given[0]! : `${given.slice(0, -1).join(', ')} and ${given[given.length - 1]}`;
  throw new InvalidInputError(`${list} ${given.length === 1 ? 'describes' : 'describe'} a map to make; ${existing} reads one that exists, as it is: drop ${given.length === 1 ? 'it' : 'them'}`);
}

function runAction(flags: RunFlags, io: Io, cmd: Command): number {
  refuseMakingFlags(flags, cmd);
  // Every destination checked before any map is made: one to stdout at most, each writable.
  const out = openOutputs(OUTPUTS, flags, io);
  if (flags.saveBaseline !== undefined && !/^[\w.-]+$/.test(flags.saveBaseline)) throw new InvalidInputError(`--save-baseline: '${flags.saveBaseline}' is not a plain name (letters, digits, . _ -)`);
  const { result } = measureAndPrint(flags, io, flags.strategies, { strategiesNamed: cmd.getOptionValueSource('strategies') === 'cli', human: out.human });
  out.write({ kind: 'run', file: out.fileOf('json') ?? 'bpfbench run', json: result });
  if (flags.saveBaseline !== undefined) saveBaseline(flags.saveBaseline, result, flags.force, io);
  if (!result.summary.ok) return EXIT_FAILURE;
  if (flags.baseline !== undefined) {
    // The same gates as `compare`, against results/baselines/NAME.json.
    const path = baselinePath(flags.baseline, io);
    if (!existsSync(path)) throw new UsageError(`no baseline ${path}: make one with --save-baseline ${flags.baseline}`);
    const cmp = compareResults(JSON.parse(readFileSync(path, 'utf8')) as RunResultJson, result, { threshold: flags.threshold, strictTime: flags.strictTime });
    const human = out.human;
    human.write(`\ncompared with ${path}:\n${renderComparison(cmp, { color: useColor(flags, io, human), threshold: flags.threshold })}\n`);
    if (!cmp.comparable) return EXIT_FAILURE;
    if (cmp.regression) return EXIT_REGRESSION;
    if (cmp.undecided) return EXIT_UNDECIDED;
  }
  return EXIT_OK;
}

/** results/baselines/NAME.json, atomically; never over a different configuration without --force. */
function saveBaseline(name: string, result: RunResultJson, force: boolean, io: Io): void {
  const path = baselinePath(name, io);
  if (!result.summary.ok) throw new UsageError(`not saving ${path}: a read failed verification`);
  if (existsSync(path) && !force) {
    const old = JSON.parse(readFileSync(path, 'utf8')) as RunResultJson;
    const cmp = compareResults(old, result, { threshold: 0.15 });
    const machine = cmp.rows.filter((r) => r.gate === 0 && r.mark === '~').map((r) => r.figure.replace(/ changed$/, ''));
    if (!cmp.comparable || machine.length)
      throw new UsageError(`${path} holds another configuration or machine (${[...cmp.rows.filter((r) => r.mark === 'x').map((r) => r.figure), ...machine].join(', ')}): --force replaces it`);
  }
  writeDocument(path, 'json', { kind: 'run', file: path, json: result }, io.stdout);
  io.stderr.write(`bpfbench: baseline saved to ${path}\n`);
}

export function addRunCommand(program: Command, ctx: CommandContext): Command {
  const cmd = program.command('run').description('create and fill a map (default: hash u32 → u32, keys 0..N-1, value 0xdeadbeef, as the Go experiment), then read it with each strategy and compare');
  addOptions(
    cmd,
    ...mapShapeOptions(),
    entriesOption(),
    maxEntriesOption(),
    mapFlagsOption(),
    fillOption(),
    pinOption('read this pinned map (e.g. made by `bpfbench load`) instead of creating one; verified across strategies'),
    mapIdOption('read the map with this id instead of creating one; verified across strategies'),
    objectOption(),
    allStrategiesOption(),
    chunkOption(),
    strictChunkOption(),
    threadsOption(),
    loopOption(),
    ...measureOptions(),
    ...writersOptions(),
    new Option('--save-baseline <name>', 'also write the result to results/baselines/NAME.json (refused over another configuration unless --force)').helpGroup(BASELINE_GROUP),
    new Option('--force', 'let --save-baseline replace a baseline of another configuration').default(false).helpGroup(BASELINE_GROUP),
    new Option('--baseline <name>', 'compare with results/baselines/NAME.json as `compare` does: exit 3 on a regression').helpGroup(BASELINE_GROUP),
    new Option('--threshold <percent>', 'for --baseline: relative change that counts (as compare)')
      .argParser(parsePercent)
      .default(DEFAULT_THRESHOLD, `${DEFAULT_THRESHOLD * 100}%`)
      .helpGroup(BASELINE_GROUP),
    new Option('--strict-time', 'for --baseline: ns/entry and allocation beyond the threshold also fail').default(false).helpGroup(BASELINE_GROUP),
    ...outputOptions(OUTPUTS),
    verboseOption(),
  );
  return finishOptions(cmd).action((flags: RunFlags, command: Command) => ctx.exit(runAction(flags, ctx.io, command)));
}

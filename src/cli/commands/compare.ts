// bpfbench compare: a run (or peers) result against a baseline, the CI gate.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { InvalidInputError } from '../../errors.js';
import { comparePeers } from '../../report/analysis/compare-peers.js';
import { compareResults, renderComparison, type Comparison } from '../../report/analysis/compare-baseline.js';
import { SCHEMA_VERSION } from '../../report/result/strategy-json.js';
import { COMPARE_KINDS, parseResult, SCHEMA_IDS, type Loaded } from '../../report/schema/index.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_REGRESSION, EXIT_UNDECIDED } from '../exit.js';
import { useColor, type CommandContext, type Io } from '../io.js';
import { addOptions } from '../options.js';
import { finishOptions, OUTPUT, type OutputFlags } from '../output-options.js';
import { declareOutputs, openOutputs, outputOptions } from '../output.js';
import { parsePercent } from '../parse.js';

const COMPARE_GROUP = 'Comparison options:';

/** What compare can write: the comparison as JSON. */
const OUTPUTS = declareOutputs('data', OUTPUT.json("write the comparison as JSON, or '-' for stdout"));

interface CompareFlags extends OutputFlags {
  threshold: number;
  strictTime: boolean;
  lenient: boolean;
  acrossMachines: boolean;
  speedGates: boolean;
}

/** The default threshold of the speed gates: what scripts/gate-calibration measured a 10 % slowdown is told from noise by (docs/ci-and-fleets.md). */
export const DEFAULT_THRESHOLD = 0.05;

/** A result file: unreadable, not JSON or not the contract is bad input (exit 2), one line naming the field. */
function readResult(path: string): Loaded<(typeof COMPARE_KINDS)[number]> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InvalidInputError(`cannot read ${path}: ${(e as Error).message}`);
  }
  return parseResult(path, text, COMPARE_KINDS);
}

function compareAction(baseline: string, current: string, flags: CompareFlags, io: Io): number {
  const out = openOutputs(OUTPUTS, flags, io);
  const b = readResult(baseline);
  const c = readResult(current);
  const opts = { threshold: flags.threshold, strictTime: flags.strictTime, lenient: flags.lenient, acrossMachines: flags.acrossMachines, noSpeedGates: !flags.speedGates };
  let cmp: Comparison;
  if (b.kind === 'run' && c.kind === 'run') cmp = compareResults(b.json, c.json, opts);
  else if (b.kind === 'peers' && c.kind === 'peers') cmp = comparePeers(b.json, c.json, opts);
  else throw new InvalidInputError(`${baseline} is a ${b.kind} result and ${current} a ${c.kind} result: compare like with like`);
  const human = out.human;
  human.write(`${renderComparison(cmp, { color: useColor(flags, io, human), threshold: flags.threshold })}\n`);
  out.write({ kind: 'data', json: { $schema: SCHEMA_IDS.compare, schemaVersion: SCHEMA_VERSION, kind: 'compare', baseline, current, threshold: flags.threshold, ...cmp } });
  // 1 means only this: the results are not comparable (another configuration or read loop).
  if (!cmp.comparable) return EXIT_FAILURE;
  // The worst verdict: a failed gate 1 or 2 or a regression, then undecided; never 0 undecided.
  return cmp.regression ? EXIT_REGRESSION : cmp.undecided ? EXIT_UNDECIDED : EXIT_OK;
}

export function addCompareCommand(program: Command, ctx: CommandContext): Command {
  const cmd = program
    .command('compare')
    .description('compare a run result with a baseline: exit 0 no regression, 3 regression (or a failed read or call count), 4 undecided, 1 not comparable, 2 unreadable or invalid input')
    .argument('<baseline>', 'baseline result (JSON from run --json or --save-baseline)')
    .argument('<current>', 'current result');
  addOptions(
    cmd,
    new Option('--threshold <percent>', 'relative change that counts: a speed gate regressed when the whole 95 % interval of the change lies beyond it')
      .argParser(parsePercent)
      .default(DEFAULT_THRESHOLD, `${DEFAULT_THRESHOLD * 100}%`)
      .helpGroup(COMPARE_GROUP),
    new Option('--strict-time', 'ns/entry and allocation beyond the threshold also fail (they are only reported by default)').default(false).helpGroup(COMPARE_GROUP),
    new Option('--lenient', 'compare results of another configuration or read loop').default(false).helpGroup(COMPARE_GROUP),
    new Option('--across-machines', 'apply the speed gates between results of another CPU model, CPU count or mitigations (they are reported only by default)').default(false).helpGroup(COMPARE_GROUP),
    new Option('--no-speed-gates', 'report the speed gates (3, 4) without applying them: gates 1 and 2 only').helpGroup(COMPARE_GROUP),
    ...outputOptions(OUTPUTS),
  );
  return finishOptions(cmd).action((baseline: string, current: string, flags: CompareFlags) => ctx.exit(compareAction(baseline, current, flags, ctx.io)));
}

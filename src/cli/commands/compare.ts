// bpfbench compare: a run (or peers) result against a baseline, the CI gate.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { comparePeers, compareResults, renderComparison } from '../../report/compare.js';
import type { PeersResultJson } from '../../report/peers.js';
import { SCHEMA_VERSION, type RunResultJson } from '../../report/result.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_REGRESSION } from '../exit.js';
import { humanStream, useColor, type CommandContext, type Io } from '../io.js';
import { addOptions, colorOption, finishOptions, jsonOption, type OutputFlags } from '../options.js';
import { writeJson } from '../output.js';
import { parsePercent } from '../parse.js';

const COMPARE_GROUP = 'Comparison options:';

interface CompareFlags extends OutputFlags {
  threshold: number;
  strictTime: boolean;
  lenient: boolean;
}

function compareAction(baseline: string, current: string, flags: CompareFlags, io: Io): number {
  const read = (p: string) => {
    try {
      return JSON.parse(readFileSync(p, 'utf8')) as RunResultJson;
    } catch (e) {
      throw new UsageError(`cannot read ${p}: ${(e as Error).message}`);
    }
  };
  const b = read(baseline);
  const c = read(current);
  const kind = (r: RunResultJson) => (r as { kind?: string }).kind ?? 'run';
  for (const [p, r] of [[baseline, b], [current, c]] as const) {
    if (r.schemaVersion !== SCHEMA_VERSION || !Array.isArray(r.results) || !['run', 'peers'].includes(kind(r))) throw new UsageError(`${p} is not a bpfbench run or peers result (schemaVersion ${SCHEMA_VERSION})`);
  }
  if (kind(b) !== kind(c)) throw new UsageError(`${baseline} is a ${kind(b)} result and ${current} a ${kind(c)} result: compare like with like`);
  const opts = { threshold: flags.threshold, strictTime: flags.strictTime, lenient: flags.lenient };
  const cmp = kind(b) === 'peers' ? comparePeers(b as unknown as PeersResultJson, c as unknown as PeersResultJson, opts) : compareResults(b, c, opts);
  const human = humanStream(io, [flags.json]);
  human.write(`${renderComparison(cmp, { color: useColor(flags, io, human), threshold: flags.threshold })}\n`);
  if (flags.json !== undefined) writeJson(flags.json, { schemaVersion: SCHEMA_VERSION, kind: 'compare', baseline, current, threshold: flags.threshold, ...cmp }, io.stdout);
  if (!cmp.comparable) return EXIT_FAILURE;
  return cmp.regression ? EXIT_REGRESSION : EXIT_OK;
}

export function addCompareCommand(program: Command, ctx: CommandContext): Command {
  const cmd = program
    .command('compare')
    .description('compare a run result with a baseline: exit 0 no regression, 3 regression, 1 not comparable or unreadable')
    .argument('<baseline>', 'baseline result (JSON from run --json or --save-baseline)')
    .argument('<current>', 'current result');
  addOptions(
    cmd,
    new Option('--threshold <percent>', 'relative change that counts (e.g. 15%)').argParser(parsePercent).default(0.15, '15%').helpGroup(COMPARE_GROUP),
    new Option('--strict-time', 'ns/entry and allocation beyond the threshold also fail (they are only reported by default)').default(false).helpGroup(COMPARE_GROUP),
    new Option('--lenient', 'compare results from another kernel, CPU, read loop or configuration').default(false).helpGroup(COMPARE_GROUP),
    jsonOption("write the comparison as JSON, or '-' for stdout"),
    colorOption(),
  );
  return finishOptions(cmd).action((baseline: string, current: string, flags: CompareFlags) => ctx.exit(compareAction(baseline, current, flags, ctx.io)));
}

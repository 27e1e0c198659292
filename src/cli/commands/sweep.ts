// bpfbench sweep: every chunk on every map size, elem as the reference
// level, each chunk's p99/max call latency and the fitted cost model; with
// --max-call-latency, the fastest chunk within it. A table and
// results/sweep-<time>.{json,svg,md}.
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { InvalidInputError } from '../../errors.js';
import type { FillMethod } from '../../harness/filling/fill.js';
import type { MapTypeName } from '../../bpf/syscall/constants.js';
import { runSweep } from '../../harness/measuring/run-sweep.js';
import { RESULTS_DIR, TOOL } from '../../paths.js';
import { buildSweepResult, renderSweepTable } from '../../report/analysis/sweep-result.js';
import { DEFAULT_LOOP, requireLoop, strategyByName, type ReadLoop } from '../../strategies/index.js';
import { atThreads, defaultThreadList } from '../../strategies/sharded.js';
import { onlineCpus } from '../../bpf/maps/cpus.js';
import { MAP_TYPES } from '../../bpf/maps/map-types.js';
import { chooseAvailable } from '../measured-run.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit.js';
import { useColor, type CommandContext, type Io } from '../io.js';
import { resolveFill } from '../measured-run.js';
import {
  addOptions,
  checkThreads,
  chunkListOption,
  threadsListOption,
  entriesListOption,
  fillOption,
  GROUP,
  loopOption,
  maxCallLatencyOption,
  maxEntriesListOption,
  mapTypeOption,
  objectOption,
  runsCountOption,
  strategiesOption,
  warmupCountOption,
} from '../options.js';
import { finishOptions, OUTPUT, type OutputFlags } from '../output-options.js';
import { declareOutputs, openOutputs, outputOptions, writeDocument } from '../output.js';
import { cliProgress } from '../terminal-progress.js';

/** What sweep can write besides its files in --out-dir: the result as JSON and HTML. */
const OUTPUTS = declareOutputs('sweep', OUTPUT.json("also write the JSON to a file, or '-' for stdout"), OUTPUT.html());

/** The files a sweep always writes into --out-dir, by extension. */
const OUT_DIR_FILES = [
  ['json', 'json'],
  ['svg', 'svg'],
  ['md', 'markdown'],
] as const;

interface SweepFlags extends OutputFlags {
  entries: number[];
  maxEntries?: number[];
  chunks: number[];
  strategies: string[];
  runs: number;
  warmup: number;
  fill: FillMethod | 'auto';
  outDir: string;
  elem: boolean;
  object?: string;
  loop: ReadLoop;
  threads?: number[];
  html?: string;
  mapType: MapTypeName;
  maxCallLatency?: number;
}

function sweepAction(flags: SweepFlags, io: Io, cmd: Command): number {
  if (flags.maxEntries && flags.maxEntries.length !== flags.entries.length) throw new InvalidInputError('--max-entries needs one value per --entries value');
  flags.maxEntries?.forEach((m, i) => {
    if (m < flags.entries[i]!) throw new InvalidInputError(`--max-entries ${m} is below --entries ${flags.entries[i]}`);
  });
  const named = flags.strategies.map((n) => strategyByName(n)!);
  for (const s of named) if (!s.usesChunk || s.drains || s.expectedToFail) throw new InvalidInputError(`sweep varies the chunk of batch reads: '${s.name}' is not one`);
  checkThreads(flags.threads, named, flags.loop);
  // A sharded strategy is swept over its threads as it is over the chunks: one series per thread count (batch-sharded×2).
  const threadList = flags.threads ?? defaultThreadList(onlineCpus());
  const asked = named.flatMap((s) => (s.usesThreads ? threadList.map((t) => atThreads(s, t)) : [s]));
  // The loop's library first: a sweep that cannot run says so before anything about its outputs.
  requireLoop(flags.loop ?? DEFAULT_LOOP);
  const out = openOutputs(OUTPUTS, flags, io, { '--out-dir': flags.outDir });
  const { strategies, unavailable } = chooseAvailable(asked, { named: cmd.getOptionValueSource('strategies') === 'cli', mapType: MAP_TYPES[flags.mapType].type, objectPath: flags.object }, io);
  const human = out.human;
  const outcome = runSweep(
    {
      entries: flags.entries,
      maxEntries: flags.maxEntries,
      chunks: flags.chunks,
      strategies,
      withElem: flags.elem,
      repeat: { minRuns: flags.runs, maxRuns: flags.runs, budgetMs: 0, warmup: flags.warmup },
      mapType: flags.mapType,
      fill: resolveFill({ fill: flags.fill, mapType: flags.mapType, keySize: 4, valueSize: 4 }),
      mapFlags: 0,
      kernelCount: false,
      objectPath: flags.object,
      loop: flags.loop,
    },
    cliProgress(io.stderr),
  );
  const result = { ...buildSweepResult(outcome, TOOL, new Date(), { maxCallLatencyNs: flags.maxCallLatency }), unavailable };
  human.write(`${renderSweepTable(result, { color: useColor(flags, io, human) })}\n`);
  const stamp = result.createdAt.replace(/[:.]/g, '-');
  const base = join(flags.outDir, `sweep-${stamp}`);
  const doc = { kind: 'sweep', file: `${base}.json`, json: result } as const;
  for (const [ext, format] of OUT_DIR_FILES) writeDocument(`${base}.${ext}`, format, doc, io.stdout);
  io.stderr.write(`bpfbench: wrote ${base}.{${OUT_DIR_FILES.map(([ext]) => ext).join(',')}}\n`);
  out.write(doc);
  return result.ok ? EXIT_OK : EXIT_FAILURE;
}

export function addSweepCommand(program: Command, ctx: CommandContext): Command {
  const cmd = program
    .command('sweep')
    .description('every chunk on every map size (one map per size, reused across chunks), elem as the reference level: a table, and results/sweep-<time>.{json,svg,md}');
  addOptions(
    cmd,
    mapTypeOption(),
    entriesListOption(),
    maxEntriesListOption(),
    fillOption('prog, batch, elem or auto'),
    objectOption(),
    strategiesOption('chunked strategies: batch, batch-sharded (one series per --threads value)', ['batch']),
    chunkListOption(),
    threadsListOption(),
    loopOption(),
    runsCountOption('measured reads per point', 3),
    warmupCountOption('untimed reads per point first', 1),
    maxCallLatencyOption(),
    new Option('--no-elem', "don't measure elem as the reference level").helpGroup(GROUP.measure),
    new Option('--out-dir <dir>', 'where sweep-<time>.{json,svg,md} go').default(RESULTS_DIR).helpGroup(GROUP.output),
    ...outputOptions(OUTPUTS),
  );
  return finishOptions(cmd).action((flags: SweepFlags, command: Command) => ctx.exit(sweepAction(flags, ctx.io, command)));
}

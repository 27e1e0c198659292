// The command line: flags → validated options → the harness → output and
// exit codes. The only file that knows about argv, stdout/stderr and exit
// codes (0 ok, 1 runtime failure or a failed verification, 2 bad input).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { BpfError, Errno, UserError } from '../bpf/errors.js';
import { FILL_METHODS, type FillMethod } from '../harness/fill.js';
import { PRIVILEGE_HINT } from '../harness/preflight.js';
import { DEFAULT_PIN, preparePinPath, removePin } from '../bpf/bpffs.js';
import { BpfMap } from '../bpf/map.js';
import { isDefaultShape, openBenchMap, runBenchmark, type MapSource, type RunConfig } from '../harness/run.js';
import { MapType, type MapTypeName } from '../bpf/constants.js';
import { renderLoaded, renderMapInfo } from '../report/info.js';
import { comparePeers, compareResults, renderComparison } from '../report/compare.js';
import type { PeersResultJson } from '../report/peers.js';
import { toCsv, toGab, toMarkdown } from '../report/export.js';
import { buildSweepResult, renderSweepTable, sweepChart, sweepMarkdown } from '../report/sweep.js';
import { runSweep } from '../harness/sweep.js';
import { buildReproduction, checkPublished, explainReproduction, renderReproduction } from '../report/reproduce.js';
import { buildRunResult, type RunResultJson } from '../report/result.js';
import { buildPeersResult, renderPeers } from '../report/peers.js';
import { runPeers } from '../harness/peers.js';
import { renderRunDetail, renderRunFooter, renderRunHeader, renderRunTable } from '../report/table.js';
import { STRATEGIES, strategyByName } from '../strategies/index.js';
import { writeJson, writeText } from './output.js';
import { autoOr, parseChoice, parseCountList, parseList, parseMapFlags, parsePercent, rangeChecked } from './parse.js';
import { terminalProgress } from './progress.js';

const require = createRequire(import.meta.url);
const pkg = require('../../../package.json') as { name: string; version: string };

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** compare: a regression beyond the threshold. */
export const EXIT_REGRESSION = 3;

const U32_MAX = 0xffff_ffff;
/** A 100Mi map, as in the published experiment. */
export const DEFAULT_ENTRIES = 104_857_600;
export const DEFAULT_CHUNK = 4096;
/** Auto repeats: at least 1 read, at most 10, until this many seconds were spent per strategy. */
export const AUTO_BUDGET_S = 60;
export const AUTO_MAX_RUNS = 10;
/** Auto warmup: one untimed read up to this size; above it the first read's warm-up is noise. */
export const AUTO_WARMUP_MAX_ENTRIES = 4 * 1024 * 1024;

interface RunFlags {
  mapType: MapTypeName;
  keySize: number;
  valueSize: number;
  entries: number;
  maxEntries?: number;
  chunk: number;
  strategies: string[];
  fill: FillMethod | 'auto';
  runs: number | 'auto';
  warmup: number | 'auto';
  budget: number;
  mapFlags: number;
  json?: string;
  kernelCount: boolean;
  verbose: boolean;
  color: boolean;
  debug: boolean;
  object?: string;
  strictChunk: boolean;
  saveBaseline?: string;
  force: boolean;
  baseline?: string;
  threshold: number;
  strictTime: boolean;
  exportMarkdown?: string;
  exportCsv?: string;
  exportGab?: string;
  /** run: read this pinned map instead of creating one. */
  pin?: string;
  /** run: read the map with this id instead of creating one. */
  mapId?: number;
}

/** Terminal lines, colour decisions: everything main() needs from the world. */
export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

function useColor(flags: { color: boolean }, io: Io, stream: NodeJS.WriteStream): boolean {
  if (!flags.color) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

/** --fill auto: in kernel for the published experiment's map, UPDATE_BATCH for any other shape. */
function resolveFill(flags: Pick<RunFlags, 'fill' | 'mapType' | 'keySize' | 'valueSize'>): FillMethod {
  if (flags.fill !== 'auto') return flags.fill;
  return isDefaultShape(flags) ? 'prog' : 'batch';
}

/** Flags → the harness's configuration (cross-flag checks here). */
function runConfig(flags: RunFlags, strategyNames: string[]): RunConfig {
  const maxEntries = flags.maxEntries ?? flags.entries;
  if (maxEntries < flags.entries) {
    throw new UserError(`--max-entries (${maxEntries.toLocaleString('en-US')}) must be at least --entries (${flags.entries.toLocaleString('en-US')})`, EXIT_USAGE);
  }
  const fixedRuns = flags.runs === 'auto' ? undefined : flags.runs;
  const warmup = flags.warmup === 'auto' ? (flags.entries <= AUTO_WARMUP_MAX_ENTRIES ? 1 : 0) : flags.warmup;
  if (flags.pin !== undefined && flags.mapId !== undefined) throw new UserError('--pin and --map-id name two maps: give one', EXIT_USAGE);
  const source: MapSource = flags.pin !== undefined ? { kind: 'pin', path: flags.pin } : flags.mapId !== undefined ? { kind: 'id', id: flags.mapId } : { kind: 'create' };
  return {
    source,
    mapType: flags.mapType,
    keySize: flags.keySize,
    valueSize: flags.valueSize,
    entries: flags.entries,
    maxEntries,
    chunk: flags.chunk,
    strategies: strategyNames.map((n) => strategyByName(n)!),
    fill: resolveFill(flags),
    mapFlags: flags.mapFlags,
    repeat: fixedRuns !== undefined ? { minRuns: fixedRuns, maxRuns: fixedRuns, budgetMs: 0, warmup } : { minRuns: 1, maxRuns: AUTO_MAX_RUNS, budgetMs: flags.budget * 1000, warmup },
    runsSetting: flags.runs,
    kernelCount: flags.kernelCount,
    strictChunk: flags.strictChunk,
    objectPath: flags.object,
  };
}

/** Runs the benchmark, prints the run's header, table and footer; returns the result and where to print more. */
function measureAndPrint(flags: RunFlags, io: Io, strategyNames: string[]): { result: RunResultJson; human: NodeJS.WriteStream; color: boolean } {
  const config = runConfig(flags, strategyNames);
  // With a result on stdout, the human-readable output moves to stderr.
  const human = [flags.json, flags.exportMarkdown, flags.exportCsv, flags.exportGab].includes('-') ? io.stderr : io.stdout;
  const color = useColor(flags, io, human);
  const outcome = runBenchmark(config, { progress: terminalProgress(io.stderr) });
  const result = buildRunResult(outcome, { name: pkg.name, version: pkg.version });
  const opts = { color };
  const detail = flags.verbose ? `\n${renderRunDetail(result, opts)}\n` : '';
  human.write(`${renderRunHeader(result, opts)}\n${renderRunTable(result, opts)}\n${detail}${renderRunFooter(result, opts)}\n`);
  return { result, human, color };
}

export const BASELINE_DIR = fileURLToPath(new URL('../../../results/baselines/', import.meta.url));

function runAction(flags: RunFlags, io: Io): number {
  if (flags.saveBaseline !== undefined && !/^[\w.-]+$/.test(flags.saveBaseline)) throw new UserError(`--save-baseline: '${flags.saveBaseline}' is not a plain name (letters, digits, . _ -)`, EXIT_USAGE);
  const { result } = measureAndPrint(flags, io, flags.strategies);
  if (flags.json !== undefined) writeJson(flags.json, result);
  if (flags.saveBaseline !== undefined) saveBaseline(flags.saveBaseline, result, flags.force, io);
  if (flags.exportMarkdown !== undefined) writeText(flags.exportMarkdown, toMarkdown(result));
  if (flags.exportCsv !== undefined) writeText(flags.exportCsv, toCsv(result));
  if (flags.exportGab !== undefined) writeJson(flags.exportGab, toGab(result));
  if (!result.summary.ok) return EXIT_FAILURE;
  if (flags.baseline !== undefined) {
    // The same gates as `compare`, against results/baselines/NAME.json.
    const path = join(io.env.BPFBENCH_BASELINE_DIR ?? BASELINE_DIR, `${flags.baseline}.json`);
    if (!existsSync(path)) throw new UserError(`no baseline ${path}: make one with --save-baseline ${flags.baseline}`);
    const cmp = compareResults(JSON.parse(readFileSync(path, 'utf8')) as RunResultJson, result, { threshold: flags.threshold, strictTime: flags.strictTime });
    const human = [flags.json, flags.exportMarkdown, flags.exportCsv, flags.exportGab].includes('-') ? io.stderr : io.stdout;
    human.write(`\ncompared with ${path}:\n${renderComparison(cmp, { color: useColor(flags, io, human), threshold: flags.threshold })}\n`);
    if (!cmp.comparable) return EXIT_FAILURE;
    if (cmp.regression) return EXIT_REGRESSION;
  }
  return EXIT_OK;
}

/** results/baselines/NAME.json, atomically; never over a different configuration without --force. */
function saveBaseline(name: string, result: RunResultJson, force: boolean, io: Io): void {
  const path = join(io.env.BPFBENCH_BASELINE_DIR ?? BASELINE_DIR, `${name}.json`);
  if (!result.summary.ok) throw new UserError(`not saving ${path}: a read failed verification`);
  if (existsSync(path) && !force) {
    const old = JSON.parse(readFileSync(path, 'utf8')) as RunResultJson;
    const cmp = compareResults(old, result, { threshold: 0.15 });
    if (!cmp.comparable) throw new UserError(`${path} holds another configuration or machine (${cmp.rows.filter((r) => r.mark === 'x').map((r) => r.figure).join(', ')}): --force replaces it`);
  }
  writeJson(path, result);
  io.stderr.write(`bpfbench: baseline saved to ${path}\n`);
}

function compareAction(baseline: string, current: string, flags: { threshold: number; strictTime: boolean; lenient: boolean; json?: string; color: boolean }, io: Io): number {
  const read = (p: string) => {
    try {
      return JSON.parse(readFileSync(p, 'utf8')) as RunResultJson;
    } catch (e) {
      throw new UserError(`cannot read ${p}: ${(e as Error).message}`);
    }
  };
  const b = read(baseline);
  const c = read(current);
  const kind = (r: RunResultJson) => (r as { kind?: string }).kind ?? 'run';
  for (const [p, r] of [[baseline, b], [current, c]] as const) {
    if (r.schemaVersion !== 1 || !Array.isArray(r.results) || !['run', 'peers'].includes(kind(r))) throw new UserError(`${p} is not a bpfbench run or peers result (schemaVersion 1)`);
  }
  if (kind(b) !== kind(c)) throw new UserError(`${baseline} is a ${kind(b)} result and ${current} a ${kind(c)} result: compare like with like`);
  const opts = { threshold: flags.threshold, strictTime: flags.strictTime, lenient: flags.lenient };
  const cmp = kind(b) === 'peers' ? comparePeers(b as unknown as PeersResultJson, c as unknown as PeersResultJson, opts) : compareResults(b, c, opts);
  const human = flags.json === '-' ? io.stderr : io.stdout;
  human.write(`${renderComparison(cmp, { color: useColor(flags, io, human), threshold: flags.threshold })}\n`);
  if (flags.json !== undefined) writeJson(flags.json, { schemaVersion: 1, kind: 'compare', baseline, current, threshold: flags.threshold, ...cmp });
  if (!cmp.comparable) return EXIT_FAILURE;
  return cmp.regression ? EXIT_REGRESSION : EXIT_OK;
}

export const PUBLISHED_FILE = fileURLToPath(new URL('../../../results/published/go-bpf-batch-test.json', import.meta.url));

function reproduceAction(flags: RunFlags, io: Io): number {
  const published = checkPublished(JSON.parse(readFileSync(PUBLISHED_FILE, 'utf8')));
  const { result, human, color } = measureAndPrint({ ...flags, maxEntries: undefined }, io, REPRODUCE_STRATEGIES);
  const rep = buildReproduction(result, published);
  human.write(`\n${renderReproduction(rep, published, { color })}\n${explainReproduction(result, rep, published)}\n`);
  if (flags.json !== undefined) writeJson(flags.json, { ...result, reproduction: { published, ...rep } });
  // The published loop's failed verification is the point; only the correct reads must verify.
  return rep.ok ? EXIT_OK : EXIT_FAILURE;
}

function loadAction(flags: RunFlags & { pin: string }, io: Io): number {
  const maxEntries = flags.maxEntries ?? flags.entries;
  if (maxEntries < flags.entries) throw new UserError(`--max-entries (${maxEntries}) must be at least --entries (${flags.entries})`, EXIT_USAGE);
  preparePinPath(flags.pin);
  const bench = openBenchMap(
    { mapType: flags.mapType, keySize: flags.keySize, valueSize: flags.valueSize, entries: flags.entries, maxEntries, fill: resolveFill(flags), mapFlags: flags.mapFlags, kernelCount: false, objectPath: flags.object },
    terminalProgress(io.stderr),
  );
  try {
    bench.map.pin(flags.pin);
  } finally {
    bench.close();
  }
  io.stdout.write(`${renderLoaded(flags.pin, bench.record, flags.entries, bench.fill!)}\n`);
  return EXIT_OK;
}

function infoAction(flags: { pin?: string; mapId?: number; json: boolean }, io: Io): number {
  if ((flags.pin === undefined) === (flags.mapId === undefined)) throw new UserError('info needs one of --pin PATH or --map-id ID', EXIT_USAGE);
  const map = flags.pin !== undefined ? BpfMap.openPinned(flags.pin) : BpfMap.openById(flags.mapId!);
  try {
    const i = map.info;
    const memlock = map.memlockBytes();
    if (flags.json) {
      writeJson('-', { ...i, memlockBytes: memlock ?? null, pin: flags.pin ?? null });
    } else {
      io.stdout.write(`${renderMapInfo(i, memlock, flags.pin)}\n`);
    }
  } finally {
    map.close();
  }
  return EXIT_OK;
}

function unloadAction(flags: { pin: string }, io: Io): number {
  // Only remove what is a pinned map: open it first.
  BpfMap.openPinned(flags.pin).close();
  removePin(flags.pin);
  io.stdout.write(`removed ${flags.pin}\n`);
  return EXIT_OK;
}

/** `reproduce` reads with these, the published loop included. */
export const REPRODUCE_STRATEGIES = ['elem', 'batch', 'batch-fixed-cursor'];

interface PeersFlags extends RunFlags {
  rounds: number;
  impls: string[];
  pin?: string;
}

function peersAction(flags: PeersFlags, io: Io): number {
  const human = flags.json === '-' ? io.stderr : io.stdout;
  const color = useColor(flags, io, human);
  const base = runConfig(flags, flags.strategies);
  const outcome = runPeers(
    { ...base, rounds: flags.rounds, strategies: flags.strategies, impls: flags.impls, pin: flags.pin },
    terminalProgress(io.stderr),
    (line) => io.stderr.write(`bpfbench: ${line}\n`),
  );
  const result = buildPeersResult(outcome, { name: pkg.name, version: pkg.version });
  human.write(`${renderPeers(result, { color })}\n`);
  if (flags.json !== undefined) writeJson(flags.json, result);
  return result.ok ? EXIT_OK : EXIT_FAILURE;
}

interface SweepFlags {
  entries: number[];
  maxEntries?: number[];
  chunks: number[];
  strategies: string[];
  runs: number;
  warmup: number;
  fill: FillMethod | 'auto';
  outDir: string;
  elem: boolean;
  json?: string;
  color: boolean;
  object?: string;
}

export const RESULTS_DIR = fileURLToPath(new URL('../../../results/', import.meta.url));

function sweepAction(flags: SweepFlags, io: Io): number {
  if (flags.maxEntries && flags.maxEntries.length !== flags.entries.length) throw new UserError('--max-entries needs one value per --entries value', EXIT_USAGE);
  flags.maxEntries?.forEach((m, i) => {
    if (m < flags.entries[i]!) throw new UserError(`--max-entries ${m} is below --entries ${flags.entries[i]}`, EXIT_USAGE);
  });
  const strategies = flags.strategies.map((n) => strategyByName(n)!);
  for (const s of strategies) if (!s.usesChunk || s.drains || s.expectedToFail) throw new UserError(`sweep varies the chunk of batch reads: '${s.name}' is not one`, EXIT_USAGE);
  const human = flags.json === '-' ? io.stderr : io.stdout;
  const outcome = runSweep(
    {
      entries: flags.entries,
      maxEntries: flags.maxEntries,
      chunks: flags.chunks,
      strategies,
      withElem: flags.elem,
      repeat: { minRuns: flags.runs, maxRuns: flags.runs, budgetMs: 0, warmup: flags.warmup },
      fill: resolveFill({ fill: flags.fill, mapType: 'hash', keySize: 4, valueSize: 4 }),
      mapFlags: 0,
      kernelCount: false,
      objectPath: flags.object,
    },
    terminalProgress(io.stderr),
  );
  const result = buildSweepResult(outcome, { name: pkg.name, version: pkg.version });
  human.write(`${renderSweepTable(result, { color: useColor(flags, io, human) })}\n`);
  const stamp = result.createdAt.replace(/[:.]/g, '-');
  const base = join(flags.outDir, `sweep-${stamp}`);
  writeJson(`${base}.json`, result);
  writeText(`${base}.svg`, sweepChart(result));
  writeText(`${base}.md`, sweepMarkdown(result));
  io.stderr.write(`bpfbench: wrote ${base}.{json,svg,md}\n`);
  if (flags.json !== undefined) writeJson(flags.json, result);
  return result.ok ? EXIT_OK : EXIT_FAILURE;
}

/** The flags that shape a measured run, shared by `run` and `reproduce`. */
function addShapeOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--map-type <type>', 'the map type to create').choices(Object.keys(MapType)).default('hash'))
    .addOption(new Option('--key-size <bytes>', 'key size: the index in the first (up to) 4 bytes, a pattern after').argParser(rangeChecked('--key-size', 1, 512)).default(4))
    .addOption(new Option('--value-size <bytes>', 'value size (per CPU for per-CPU maps): a pattern derived from the key').argParser(rangeChecked('--value-size', 1, 4096)).default(4));
}

function addMeasureOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--entries <n>', 'entries to write (1Mi, 100Mi, …)').argParser(rangeChecked('--entries', 1, U32_MAX)).default(DEFAULT_ENTRIES, '104857600 (100Mi)'))
    .addOption(new Option('--chunk <n>', 'entries per LOOKUP_BATCH call').argParser(rangeChecked('--chunk', 1, 1 << 24)).default(DEFAULT_CHUNK))
    .option('--strict-chunk', 'fail when a hash bucket holds more entries than --chunk (ENOSPC), instead of doubling the chunk and saying so', false)
    .addOption(new Option('--fill <method>', 'how the map is filled: prog (in kernel, BPF_PROG_TEST_RUN; the default u32 → u32 hash map only), batch (UPDATE_BATCH), elem (UPDATE_ELEM per key); auto: prog where it can, else batch').argParser(parseChoice('--fill', [...FILL_METHODS, 'auto'] as const)).default('auto'))
    .addOption(new Option('--runs <n|auto>', `measured reads per strategy; auto: at least 1, at most ${AUTO_MAX_RUNS}, until --budget is spent`).argParser(autoOr('--runs', 1, 1000)).default('auto'))
    .addOption(new Option('--warmup <n|auto>', `untimed, verified reads before measuring; auto: 1 up to ${AUTO_WARMUP_MAX_ENTRIES / 1024 / 1024}Mi entries, else 0`).argParser(autoOr('--warmup', 0, 100)).default('auto'))
    .addOption(new Option('--budget <seconds>', 'time budget per strategy for --runs auto').argParser(rangeChecked('--budget', 1, 86400)).default(AUTO_BUDGET_S))
    .addOption(new Option('--map-flags <flags>', 'map_flags at creation: zero_seed, no_prealloc (comma-separated) or a number').argParser(parseMapFlags).default(0))
    .option('--json <file>', "write the result as JSON (schemaVersion 1) to a file, or '-' for stdout")
    .option('--no-kernel-count', "don't count syscalls from the kernel's side (sys_enter raw tracepoint)")
    .option('-v, --verbose', 'a second table with every figure: CPU, syscalls by command (self and kernel), memory', false)
    .option('--object <path>', 'BPF object to load (default: bpf/bench.bpf.o)')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .option('--debug', 'show stack traces of errors', false);
}

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name('bpfbench')
    .description('Measure how fast user space reads a large eBPF map: per element (GET_NEXT_KEY + LOOKUP_ELEM) vs in batches (LOOKUP_BATCH), verified, on the real kernel.')
    .version(pkg.version)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`bpfbench: ${s.replace(/^error: /, '').trim()}\n`),
    });

  addMeasureOptions(
    addShapeOptions(program
      .command('run')
      .description('create and fill a map (default: hash u32 → u32, keys 0..N-1, value 0xdeadbeef, as the Go experiment), then read it with each strategy and compare')
      .addOption(new Option('--max-entries <n>', "the map's max_entries (default: --entries)").argParser(rangeChecked('--max-entries', 1, U32_MAX)))
      .addOption(new Option('--strategies <list>', `comma-separated, of: ${STRATEGIES.map((s) => s.name).join(', ')}`).argParser(parseList('--strategies', 'strategy', STRATEGIES.map((s) => s.name))).default(['elem', 'batch'], 'elem,batch'))
      .option('--pin <path>', 'read this pinned map (e.g. made by `bpfbench load`) instead of creating one; verified across strategies')
      .addOption(new Option('--map-id <id>', 'read the map with this id instead of creating one; verified across strategies').argParser(rangeChecked('--map-id', 1, U32_MAX)))
      .option('--save-baseline <name>', 'also write the result to results/baselines/NAME.json (refused over another configuration unless --force)')
      .option('--force', 'let --save-baseline replace a baseline of another configuration', false)
      .option('--baseline <name>', 'compare with results/baselines/NAME.json as `compare` does: exit 3 on a regression')
      .addOption(new Option('--threshold <percent>', 'for --baseline: relative change that counts').argParser(parsePercent).default(0.15, '15%'))
      .option('--strict-time', 'for --baseline: ns/entry and allocation beyond the threshold also fail', false)
      .option('--export-markdown <file>', "the result as a Markdown table ('-' for stdout)")
      .option('--export-csv <file>', "the result as CSV ('-' for stdout)")
      .option('--export-gab <file>', "the result for github-action-benchmark (customSmallerIsBetter JSON; '-' for stdout)")),
  ).action((flags: RunFlags) => setExit(runAction(flags, io)));

  program
    .command('sweep')
    .description('every chunk on every map size (one map per size, reused across chunks), elem as the reference level: a table, and results/sweep-<time>.{json,svg,md}')
    .addOption(new Option('--chunks <list>', 'chunks to try').argParser(parseCountList('--chunks', 1, 1 << 24)).default([1, 8, 64, 512, 4096, 32768], '1,8,64,512,4096,32768'))
    .addOption(new Option('--entries <list>', 'map sizes').argParser(parseCountList('--entries', 1, U32_MAX)).default([1 << 20, 4 << 20], '1Mi,4Mi'))
    .addOption(new Option('--max-entries <list>', 'max_entries per size (sparse maps)').argParser(parseCountList('--max-entries', 1, U32_MAX)))
    .addOption(new Option('--strategies <list>', 'chunked strategies: batch').argParser(parseList('--strategies', 'strategy', STRATEGIES.map((s) => s.name))).default(['batch'], 'batch'))
    .addOption(new Option('--runs <n>', 'measured reads per point').argParser(rangeChecked('--runs', 1, 100)).default(3))
    .addOption(new Option('--warmup <n>', 'untimed reads per point first').argParser(rangeChecked('--warmup', 0, 100)).default(1))
    .addOption(new Option('--fill <method>', 'prog, batch, elem or auto').argParser(parseChoice('--fill', [...FILL_METHODS, 'auto'] as const)).default('auto'))
    .option('--no-elem', "don't measure elem as the reference level")
    .option('--out-dir <dir>', 'where sweep-<time>.{json,svg,md} go', RESULTS_DIR)
    .option('--json <file>', "also write the JSON to a file, or '-' for stdout")
    .option('--object <path>', 'BPF object to load (default: bpf/bench.bpf.o)')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .option('--debug', 'show stack traces of errors', false)
    .action((flags: SweepFlags) => setExit(sweepAction(flags, io)));

  program
    .command('compare')
    .description('compare a run result with a baseline: exit 0 no regression, 3 regression, 1 not comparable or unreadable')
    .argument('<baseline>', 'baseline result (JSON from run --json or --save-baseline)')
    .argument('<current>', 'current result')
    .addOption(new Option('--threshold <percent>', 'relative change that counts (e.g. 15%)').argParser(parsePercent).default(0.15, '15%'))
    .option('--strict-time', 'ns/entry and allocation beyond the threshold also fail (they are only reported by default)', false)
    .option('--lenient', 'compare results from another kernel, CPU or configuration', false)
    .option('--json <file>', "write the comparison as JSON, or '-' for stdout")
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .option('--debug', 'show stack traces of errors', false)
    .action((baseline: string, current: string, flags: { threshold: number; strictTime: boolean; lenient: boolean; json?: string; color: boolean }) => setExit(compareAction(baseline, current, flags, io)));

  addShapeOptions(
    program
      .command('load')
      .description('create and fill the map (as `run` does), pin it, and exit; `run --pin` reads it, `unload` removes it'),
  )
    .addOption(new Option('--entries <n>', 'entries to write').argParser(rangeChecked('--entries', 1, U32_MAX)).default(DEFAULT_ENTRIES, '104857600 (100Mi)'))
    .addOption(new Option('--max-entries <n>', "the map's max_entries (default: --entries)").argParser(rangeChecked('--max-entries', 1, U32_MAX)))
    .addOption(new Option('--fill <method>', 'prog, batch, elem or auto').argParser(parseChoice('--fill', [...FILL_METHODS, 'auto'] as const)).default('auto'))
    .addOption(new Option('--map-flags <flags>', 'map_flags: zero_seed, no_prealloc or a number').argParser(parseMapFlags).default(0))
    .option('--pin <path>', `where to pin it (under /sys/fs/bpf; bpffs is mounted when missing)`, DEFAULT_PIN)
    .option('--debug', 'show stack traces of errors', false)
    .action((flags: RunFlags & { pin: string }) => setExit(loadAction(flags, io)));

  program
    .command('info')
    .description("a map's type, key and value sizes, max_entries, flags and kernel memory")
    .option('--pin <path>', 'a pinned map', undefined)
    .addOption(new Option('--map-id <id>', 'a map id').argParser(rangeChecked('--map-id', 1, U32_MAX)))
    .option('--json', 'as JSON', false)
    .option('--debug', 'show stack traces of errors', false)
    .action((flags: { pin?: string; mapId?: number; json: boolean }) => setExit(infoAction(flags, io)));

  program
    .command('unload')
    .description('remove a pin made by `bpfbench load` (the map is freed when nothing else holds it)')
    .option('--pin <path>', 'the pin to remove', DEFAULT_PIN)
    .option('--debug', 'show stack traces of errors', false)
    .action((flags: { pin: string }) => setExit(unloadAction(flags, io)));

  addMeasureOptions(
    program
      .command('reproduce')
      .description("reproduce the published Go experiment (100Mi u32 → u32, chunk 4096): per element, a correct batch read, and the published loop that never advances its cursor, side by side with the published figures"),
  ).action((flags: RunFlags) => setExit(reproduceAction(flags, io)));
  program
    .command('peers')
    .description('one pinned map read by bpfbench, a C program issuing the same raw syscalls, Go with cilium/ebpf and bpftool, in alternation: ns/entry and the ratio to C')
    .addOption(new Option('--entries <n>', 'entries to write').argParser(rangeChecked('--entries', 1, U32_MAX)).default(1024 * 1024, '1Mi'))
    .addOption(new Option('--chunk <n>', 'entries per LOOKUP_BATCH call').argParser(rangeChecked('--chunk', 1, 1 << 24)).default(DEFAULT_CHUNK))
    .addOption(new Option('--rounds <n>', 'reads per implementation and strategy, in alternation').argParser(rangeChecked('--rounds', 1, 100)).default(3))
    .addOption(new Option('--strategies <list>', 'comma-separated, of: elem, batch, batch-fixed-cursor').argParser(parseList('--strategies', 'strategy', STRATEGIES.map((s) => s.name))).default(['elem', 'batch'], 'elem,batch'))
    .addOption(new Option('--impls <list>', 'comma-separated, of: ts, c, go, bpftool').argParser(parseList('--impls', 'implementation', ['ts', 'c', 'go', 'bpftool'])).default(['ts', 'c', 'go', 'bpftool'], 'ts,c,go,bpftool'))
    .addOption(new Option('--fill <method>', 'prog, batch or elem').argParser(parseChoice('--fill', FILL_METHODS)).default('prog'))
    .option('--pin <path>', 'where to pin the map while peers read it (removed at exit)')
    .option('--json <file>', "write the result as JSON to a file, or '-' for stdout")
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .option('--debug', 'show stack traces of errors', false)
    .action((flags: PeersFlags) => setExit(peersAction({ ...flags, runs: 1, warmup: 0, budget: 0, mapFlags: 0, kernelCount: false, verbose: false, strictChunk: true }, io)));
  return program;
}

function describeError(e: unknown): string {
  if (e instanceof BpfError) {
    if (e.errno === Errno.EPERM) return `${e.message}: ${PRIVILEGE_HINT}`;
    if (e.errno === Errno.ENOMEM) return `${e.message}: the kernel could not allocate the map; use fewer --entries`;
    return e.message;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let code = EXIT_OK;
  const debug = argv.includes('--debug');
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT_OK;
      if (e.code === 'commander.executeSubCommandAsync') return EXIT_FAILURE;
      return EXIT_USAGE;
    }
    const exitCode = e instanceof UserError ? e.exitCode : EXIT_FAILURE;
    io.stderr.write(`bpfbench: ${describeError(e)}\n`);
    if (debug && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
    else if (!(e instanceof UserError) && !(e instanceof BpfError)) io.stderr.write('bpfbench: (an internal error: run with --debug for the stack)\n');
    return exitCode;
  }
}

// bpfbench peers: one pinned map read by bpfbench, a C program issuing the
// same raw syscalls, Go with cilium/ebpf, bpftool, bcc and readers of the
// user's own (exec:NAME=COMMAND), in alternation.
import { InvalidInputError } from '../../errors.js';
import { Option, type Command } from 'commander';
import { parseImpls, parsePeerTimeout, peerTimeoutMs } from '../peer-impls.js';
import type { FillMethod } from '../../harness/filling/fill.js';
import { runPeers } from '../../harness/peers/run-peers.js';
import type { PeersConfig } from '../../harness/peers/peer-cells.js';
import { TOOL } from '../../paths.js';
import { buildPeersResult } from '../../report/result/peers-result.js';
import { renderPeers } from '../../report/rendering/peers-table.js';
import { readFileSync } from 'node:fs';
import type { RatioGateSpec } from '../../harness/peers/ratio-gate.js';
import { pairedRounds, ratioOfRounds } from '../../report/analysis/compare-peers.js';
import { COMPARE_KINDS, parseResult } from '../../report/schema/index.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_REGRESSION, EXIT_UNDECIDED } from '../exit.js';
import { useColor, type CommandContext, type Io } from '../io.js';
import { strategyByName, type ReadLoop } from '../../strategies/index.js';
import { chooseAvailable } from '../measured-run.js';
import { addOptions, checkCpu, checkThreads, chunkOption, cpuOption, entriesOption, fixedFillOption, GROUP, loopsOption, threadsOption, pinOption, strategiesOption } from '../options.js';
import { finishOptions, OUTPUT, type OutputFlags } from '../output-options.js';
import { declareOutputs, openOutputs, outputOptions } from '../output.js';
import { parsePercent, rangeChecked } from '../parse.js';
import { cliProgress } from '../terminal-progress.js';

const PEER_IMPLS = ['ts', 'c', 'go', 'bpftool', 'bcc'];
/** Without --impls: bcc only when asked for (its per-element read is ~3× C's, and it compiles a module each read). */
const DEFAULT_IMPLS = ['ts', 'c', 'go', 'bpftool'];

/** What peers can write: its result as JSON and HTML. */
const OUTPUTS = declareOutputs('peers', OUTPUT.json("write the result as JSON to a file, or '-' for stdout"), OUTPUT.html());

interface PeersFlags extends OutputFlags {
  entries: number;
  chunk: number;
  rounds: number;
  strategies: string[];
  impls: string[];
  loops: ReadLoop[];
  threads?: number;
  cpu?: number;
  peerTimeout: number | 'auto';
  /** --impls was given: a peer whose tools are missing is an error, not a skip. */
  implsGiven: boolean;
  fill: FillMethod;
  pin?: string;
  html?: string;
  gate?: string;
  gateThreshold: number;
  maxRounds: number;
}

/**
 * --gate REF: a ratio (1.0: bpfbench's rows held to C itself) or a peers
 * result whose bpfbench/C ratio of each strategy (medians over its rounds) is
 * the reference. Bad input is one line.
 */
function gateSpec(flags: PeersFlags): RatioGateSpec | undefined {
  if (flags.gate === undefined) return undefined;
  if (flags.maxRounds < flags.rounds) throw new InvalidInputError(`--max-rounds ${flags.maxRounds} is below --rounds ${flags.rounds}`);
  const spec = { threshold: flags.gateThreshold, maxRounds: flags.maxRounds };
  const raw = flags.gate.trim();
  if (/^\d+(\.\d+)?$/.test(raw)) {
    const x = Number(raw);
    if (!(x > 0)) throw new InvalidInputError(`--gate ${raw}: a reference ratio must be above 0`);
    return { ...spec, reference: x };
  }
  let text: string;
  try {
    text = readFileSync(raw, 'utf8');
  } catch (e) {
    throw new InvalidInputError(`--gate ${raw}: neither a ratio (e.g. 1.0) nor a readable peers result: ${(e as Error).message}`);
  }
  const r = parseResult(raw, text, COMPARE_KINDS);
  if (r.kind !== 'peers') throw new InvalidInputError(`--gate ${raw}: a run result; the reference must be a peers result (or a ratio)`);
  const reference: Record<string, number> = {};
  for (const x of r.json.results) {
    if (x.impl !== 'ts' || reference[x.strategy] !== undefined) continue;
    const p = pairedRounds(
      x,
      r.json.results.find((y) => y.impl === 'c' && y.strategy === x.strategy),
    );
    if (p) reference[x.strategy] = ratioOfRounds(p);
  }
  if (Object.keys(reference).length === 0) throw new InvalidInputError(`--gate ${raw}: no verified bpfbench and C rows to take a reference ratio from`);
  return { ...spec, reference };
}

/** The flags → what runPeers needs; nothing more. */
function peersConfig(flags: PeersFlags): PeersConfig {
  return {
    // The published experiment's map: hash u32 → u32 (the harness's default shape), max_entries = entries.
    entries: flags.entries,
    maxEntries: flags.entries,
    fill: flags.fill,
    // peers has no --map-flags: the map is created without flags (a random hash seed per map).
    mapFlags: 0,
    // peers has no --no-kernel-count: every implementation's calls are counted by the kernel (runPeers loads the counter).
    kernelCount: true,
    chunk: flags.chunk,
    rounds: flags.rounds,
    strategies: flags.strategies,
    impls: flags.impls,
    requireTools: flags.implsGiven,
    peerTimeoutMs: peerTimeoutMs(flags.peerTimeout, flags.entries),
    // Where bpfbench's own (ts) reads run, each loop a row.
    loops: flags.loops,
    pin: flags.pin,
    threads: flags.strategies.some((n) => strategyByName(n)?.usesThreads)
      ? checkThreads(
          flags.threads,
          flags.strategies.map((n) => strategyByName(n)!),
          flags.loops.includes('js') ? 'js' : 'native',
        )
      : undefined,
    gate: gateSpec(flags),
    cpu: checkCpu(
      flags.cpu,
      flags.strategies.map((n) => strategyByName(n)!),
    ),
  };
}

async function peersAction(flags: PeersFlags, io: Io, cmd: Command): Promise<number> {
  // Checked before the map is made: only one output may go to stdout.
  const out = openOutputs(OUTPUTS, flags, io);
  // What this kernel refuses is left out for every implementation (they would all be refused the same), said once.
  checkThreads(
    flags.threads,
    flags.strategies.map((n) => strategyByName(n)!),
    flags.loops.includes('js') && flags.strategies.some((n) => strategyByName(n)?.usesThreads) ? 'js' : 'native',
  );
  const choice = chooseAvailable(
    flags.strategies.map((n) => strategyByName(n)!),
    { named: cmd.getOptionValueSource('strategies') === 'cli' },
    io,
  );
  flags = { ...flags, strategies: choice.strategies.map((s) => s.name) };
  const human = out.human;
  const color = useColor(flags, io, human);
  const config = peersConfig(flags);
  const outcome = await runPeers(config, cliProgress(io.stderr), (line) => io.stderr.write(`bpfbench: ${line}\n`));
  const result = { ...buildPeersResult(outcome, TOOL), unavailable: choice.unavailable };
  human.write(`${renderPeers(result, { color })}\n`);
  out.write({ kind: 'peers', file: out.fileOf('json') ?? 'bpfbench peers', json: result });
  if (!result.ok) return EXIT_FAILURE;
  return result.gate?.verdict === 'regressed' ? EXIT_REGRESSION : result.gate?.verdict === 'undecided' ? EXIT_UNDECIDED : EXIT_OK;
}

export function addPeersCommand(program: Command, ctx: CommandContext): Command {
  const cmd = program
    .command('peers')
    .description('one pinned map read by bpfbench, a C program issuing the same raw syscalls, Go with cilium/ebpf and bpftool, in alternation: ns/entry and the ratio to C');
  addOptions(
    cmd,
    entriesOption('entries to write', 1024 * 1024, '1Mi'),
    fixedFillOption('prog, batch or elem', 'prog'),
    pinOption('where to pin the map while peers read it (removed at exit)'),
    strategiesOption('comma-separated, of: elem, batch, batch-fixed-cursor, batch-sharded (the C peer shards too, with the same --threads)', ['elem', 'batch']),
    chunkOption(),
    threadsOption(),
    loopsOption(),
    cpuOption(),
    new Option('--impls <list>', `comma-separated, of: ${PEER_IMPLS.join(', ')}, and exec:NAME=COMMAND (a reader of your own: docs/peers.md); one named here whose tools are missing is an error`)
      .argParser(parseImpls(PEER_IMPLS))
      .default([...DEFAULT_IMPLS], DEFAULT_IMPLS.join(','))
      .helpGroup(GROUP.read),
    new Option('--peer-timeout <s>', "seconds a peer's process may run before it is stopped and its row fails, or auto: 600, or 20 µs per entry when longer")
      .argParser(parsePeerTimeout)
      .default('auto')
      .helpGroup(GROUP.measure),
    new Option('--rounds <n>', 'reads per implementation and strategy, in alternation')
      .argParser(rangeChecked('--rounds', 1, 100))
      .default(3)
      .helpGroup(GROUP.measure),
    new Option(
      '--gate <ratio|file>',
      "hold bpfbench's ratio to C to a reference (a ratio, e.g. 1.0, or a peers result's): after --rounds, more rounds until each is decided by its 95 % interval or --max-rounds; exit 3 regressed, 4 undecided",
    ).helpGroup(GROUP.measure),
    new Option('--gate-threshold <percent>', 'how far above the reference the ratio may be (--gate)').argParser(parsePercent).default(0.1, '10%').helpGroup(GROUP.measure),
    new Option('--max-rounds <n>', 'the cap on rounds with --gate')
      .argParser(rangeChecked('--max-rounds', 1, 200))
      .default(40)
      .helpGroup(GROUP.measure),
    ...outputOptions(OUTPUTS),
  );
  return finishOptions(cmd).action(async (flags: PeersFlags, c: Command) => ctx.exit(await peersAction({ ...flags, implsGiven: c.getOptionValueSource('impls') !== 'default' }, ctx.io, c)));
}

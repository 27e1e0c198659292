// The flags the commands share, made once: each factory returns a fresh
// commander Option (a command owns its options) with its parser, range and
// help group, so `--help` shows the map, read, measurement and output
// options apart, in a fixed order. Descriptions that differ per command are
// parameters; the parsing never does.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { COUNTER_WRITER_SLOTS } from '../bpf/syscall/attr.js';
import { MapType, type MapTypeName } from '../bpf/syscall/constants.js';
import { onlineCpuList, onlineCpus } from '../bpf/maps/cpus.js';
import { threadCpus } from '../bpf/syscall/affinity.js';
import { MAX_SHARD_THREADS } from '../bpf/native/shard-library.js';
import { InvalidInputError } from '../errors.js';
import { FILL_METHODS, type FillMethod } from '../harness/filling/fill.js';
import { WRITE_OPS } from '../harness/writers/under-writers.js';
import { DEFAULT_LOOP, READ_LOOPS, STRATEGIES, type ReadLoop } from '../strategies/index.js';
import { autoMax, autoOr, parseChoice, parseCountList, parseList, parseMapFlags, parsePrecision, rangeChecked } from './parse.js';

export const U32_MAX = 0xffff_ffff;
/** A 100Mi map, as in the published experiment. */
export const DEFAULT_ENTRIES = 104_857_600;
export const DEFAULT_CHUNK = 4096;
/** Auto repeats: at least 1 read, at most AUTO_MAX_RUNS, another only while it is expected to end within this many seconds per strategy. */
export const AUTO_BUDGET_S = 60;
export const AUTO_MAX_RUNS = 10;
/** Auto warmup: one untimed read for a map up to this size (a map that exists: its max_entries); above it the first read's warm-up is noise. */
export const AUTO_WARMUP_MAX_ENTRIES = 4 * 1024 * 1024;
const MAX_CHUNK = 1 << 24;

/** Help headings, in the order commands add their options. */
export const GROUP = {
  map: 'Map options:',
  read: 'Read options:',
  writers: 'Writer options:',
  measure: 'Measurement options:',
  output: 'Output options:',
} as const;

const STRATEGY_NAMES = STRATEGIES.map((s) => s.name);

/** Adds options in order; a group's heading appears where its first option is added. */
export function addOptions(cmd: Command, ...options: Option[]): Command {
  for (const o of options) cmd.addOption(o);
  return cmd;
}

export const opt = (group: string, flags: string, description: string) => new Option(flags, description).helpGroup(group);

// --- Map options: which map, its shape, how it is filled ---------------------

export interface MapShapeFlags {
  mapType: MapTypeName;
  keySize: number;
  valueSize: number;
}

export const mapTypeOption = () => opt(GROUP.map, '--map-type <type>', 'the map type to create').choices(Object.keys(MapType)).default('hash');
export const keySizeOption = () =>
  opt(GROUP.map, '--key-size <bytes>', 'key size: the index in the first (up to) 4 bytes, a pattern after')
    .argParser(rangeChecked('--key-size', 1, 512))
    .default(4);
export const valueSizeOption = () =>
  opt(GROUP.map, '--value-size <bytes>', 'value size (per CPU for per-CPU maps): a pattern derived from the key')
    .argParser(rangeChecked('--value-size', 1, 4096))
    .default(4);

/** --map-type, --key-size, --value-size. */
export const mapShapeOptions = () => [mapTypeOption(), keySizeOption(), valueSizeOption()];

export function entriesOption(description = 'entries to write (1Mi, 100Mi, …)', value = DEFAULT_ENTRIES, shown = '104857600 (100Mi)'): Option {
  return opt(GROUP.map, '--entries <n>', description)
    .argParser(rangeChecked('--entries', 1, U32_MAX))
    .default(value, shown);
}

export const maxEntriesOption = () => opt(GROUP.map, '--max-entries <n>', "the map's max_entries (default: --entries)").argParser(rangeChecked('--max-entries', 1, U32_MAX));

/** sweep: one map per size. */
export const entriesListOption = () =>
  opt(GROUP.map, '--entries <list>', 'map sizes')
    .argParser(parseCountList('--entries', 1, U32_MAX))
    .default([1 << 20, 4 << 20], '1Mi,4Mi');
export const maxEntriesListOption = () => opt(GROUP.map, '--max-entries <list>', 'max_entries per size (sparse maps)').argParser(parseCountList('--max-entries', 1, U32_MAX));

export function mapFlagsOption(description = 'map_flags at creation: zero_seed, no_prealloc (comma-separated) or a number'): Option {
  return opt(GROUP.map, '--map-flags <flags>', description).argParser(parseMapFlags).default(0);
}

export const FILL_HELP =
  'how the map is filled: prog (in kernel, BPF_PROG_TEST_RUN; the default u32 → u32 hash map only), batch (UPDATE_BATCH), elem (UPDATE_ELEM per key); auto: prog where it can, else batch';

/** --fill with `auto` (resolved per map shape). */
export function fillOption(description = FILL_HELP): Option {
  return opt(GROUP.map, '--fill <method>', description)
    .argParser(parseChoice('--fill', [...FILL_METHODS, 'auto'] as const))
    .default('auto');
}

/** --fill without `auto`. */
export function fixedFillOption(description: string, value: FillMethod): Option {
  return opt(GROUP.map, '--fill <method>', description).argParser(parseChoice('--fill', FILL_METHODS)).default(value);
}

export function pinOption(description: string, value?: string): Option {
  const o = opt(GROUP.map, '--pin <path>', description);
  return value === undefined ? o : o.default(value);
}

export const mapIdOption = (description: string) => opt(GROUP.map, '--map-id <id>', description).argParser(rangeChecked('--map-id', 1, U32_MAX));

export const objectOption = () => opt(GROUP.map, '--object <path>', 'BPF object to load (default: bpf/bench.bpf.o)');

// --- Read options: which strategies, in what chunks -------------------------

export function strategiesOption(description: string, value: string[]): Option {
  return opt(GROUP.read, '--strategies <list>', description)
    .argParser(parseList('--strategies', 'strategy', STRATEGY_NAMES))
    .default(value, value.join(','));
}

/** run: every strategy may be named. */
export const allStrategiesOption = () => strategiesOption(`comma-separated, of: ${STRATEGY_NAMES.join(', ')}`, ['elem', 'batch']);

export const chunkOption = () =>
  opt(GROUP.read, '--chunk <n>', 'entries per LOOKUP_BATCH call')
    .argParser(rangeChecked('--chunk', 1, MAX_CHUNK))
    .default(DEFAULT_CHUNK);
export const chunkListOption = () =>
  opt(GROUP.read, '--chunks <list>', 'chunks to try')
    .argParser(parseCountList('--chunks', 1, MAX_CHUNK))
    .default([1, 8, 64, 512, 4096, 32768], '1,8,64,512,4096,32768');
/** run, sweep, reproduce: where the read loop runs. */
export const loopOption = () =>
  opt(
    GROUP.read,
    '--loop <where>',
    'where the read loop runs: native (in C, native/libbpfbench.so: one call from JavaScript per hand-over of up to 64Ki entries) or js (one koffi call per syscall); the same syscalls either way',
  )
    .argParser(parseChoice('--loop', READ_LOOPS))
    .default(DEFAULT_LOOP);

/** peers: the loops bpfbench's own reads run in, each a row. */
export const loopsOption = () =>
  opt(GROUP.read, '--loops <list>', `where bpfbench's read loop runs, comma-separated, of: ${READ_LOOPS.join(', ')} (each a row)`)
    .argParser((raw: string) => parseList('--loops', 'loop', READ_LOOPS)(raw) as ReadLoop[])
    .default([...READ_LOOPS], READ_LOOPS.join(','));

/** --threads of sharded strategies: at most this many per online CPU. */
export const THREADS_PER_CPU_MAX = 4;

/** run: threads of a sharded read (batch-sharded, batch-delete-sharded). Range-checked against the online CPUs in checkThreads. */
export const threadsOption = () =>
  opt(
    GROUP.read,
    '--threads <n>',
    `threads of a sharded read (batch-sharded, batch-delete-sharded), each over its own range of the map (default: the online CPUs; at most ${THREADS_PER_CPU_MAX}× them)`,
  ).argParser(rangeChecked('--threads', 1, 1024));

/** sweep: the threads to sweep a sharded strategy over. */
export const threadsListOption = () =>
  opt(GROUP.read, '--threads <list>', 'threads to sweep sharded strategies over (default: 1 up to the online CPUs, doubling)').argParser(parseCountList('--threads', 1, 1024));

/**
 * --threads against the strategies and this machine, in one place: above
 * the online CPUs × THREADS_PER_CPU_MAX, or given with no strategy that
 * uses it, is one line (exit 2). Returns the threads sharded reads use:
 * those given, else the online CPUs.
 */
export function checkThreads(threads: number | readonly number[] | undefined, strategies: readonly { name: string; usesThreads?: boolean }[], loop?: ReadLoop): number {
  const sharded = strategies.find((s) => s.usesThreads);
  if (sharded && loop === 'js') throw new InvalidInputError(`${sharded.name}: runs in the native loop only (its threads are C threads); drop --loop js`);
  const online = onlineCpus();
  const max = Math.min(online * THREADS_PER_CPU_MAX, MAX_SHARD_THREADS);
  const list = threads === undefined ? [] : typeof threads === 'number' ? [threads] : threads;
  for (const t of list) {
    if (t > max)
      throw new InvalidInputError(
        `--threads ${t}: at most ${max} (${THREADS_PER_CPU_MAX} per online CPU, ${online} online${max === MAX_SHARD_THREADS ? `, and the native loop's limit ${MAX_SHARD_THREADS}` : ''})`,
      );
  }
  if (list.length > 0 && !strategies.some((s) => s.usesThreads)) {
    throw new InvalidInputError(`--threads: none of ${strategies.map((s) => s.name).join(', ')} uses it (only batch-sharded, batch-delete-sharded do)`);
  }
  return list[0] ?? Math.min(online, MAX_SHARD_THREADS);
}

/** --cpu: every single-thread read on one CPU (peers). */
export const cpuOption = () =>
  opt(
    GROUP.measure,
    '--cpu <n>',
    "run every read on this CPU: bpfbench's reading thread and each peer's process alike, so that a slow spell of one CPU (a hypervisor's neighbour on its core) falls on whichever read runs then, not on one implementation (single-thread strategies only)",
  ).argParser(rangeChecked('--cpu', 0, 4095));

/**
 * --cpu against the strategies and this machine, in one place: a CPU that
 * is not online or not allowed to this process (a container's cpuset), or
 * given with a strategy that reads on several threads, is one line (exit 2).
 */
export function checkCpu(cpu: number | undefined, strategies: readonly { name: string; usesThreads?: boolean }[]): number | undefined {
  if (cpu === undefined) return undefined;
  const sharded = strategies.find((s) => s.usesThreads);
  if (sharded) throw new InvalidInputError(`--cpu ${cpu}: ${sharded.name} reads on several threads, one per CPU; --cpu pins single-thread reads`);
  const online = onlineCpuList();
  if (!online.includes(cpu)) throw new InvalidInputError(`--cpu ${cpu}: not an online CPU (online: ${online.join(',')})`);
  const allowed = threadCpus();
  if (!allowed.includes(cpu)) throw new InvalidInputError(`--cpu ${cpu}: not a CPU this process may run on (allowed: ${allowed.join(',')})`);
  return cpu;
}

export const strictChunkOption = () =>
  opt(GROUP.read, '--strict-chunk', 'fail when a hash bucket holds more entries than --chunk (ENOSPC), instead of doubling the chunk and saying so').default(false);

// --- Measurement options: how often, how long, what is counted --------------

export interface MeasureFlags {
  runs: number | 'auto';
  warmup: number | 'auto';
  budget: number;
  /** --runs auto: the median's 95 % interval to reach, relative (0.02 = ±2 %). */
  precision: number;
  kernelCount: boolean;
}

export const runsOption = () =>
  opt(GROUP.measure, '--runs <n|auto>', `measured reads per strategy; auto: at least 1, at most ${AUTO_MAX_RUNS}, until --budget is spent`)
    .argParser(autoOr('--runs', 1, 1000))
    .default('auto');
export const warmupOption = () =>
  opt(
    GROUP.measure,
    '--warmup <n|auto>',
    `untimed, verified reads before measuring; auto: 1 for a map of up to ${AUTO_WARMUP_MAX_ENTRIES / 1024 / 1024}Mi entries (--pin, --map-id: its max_entries), else 0`,
  )
    .argParser(autoOr('--warmup', 0, 100))
    .default('auto');
export const budgetOption = () =>
  opt(GROUP.measure, '--budget <seconds>', 'time budget per strategy for --runs auto')
    .argParser(rangeChecked('--budget', 1, 86400))
    .default(AUTO_BUDGET_S);
export const precisionOption = () =>
  opt(GROUP.measure, '--precision <percent>', '--runs auto: read until the 95 % interval of the median is within ± this (at least 3 reads), or --budget is spent; the result says which')
    .argParser(parsePrecision)
    .default(0.02, '2%');
export const kernelCountOption = () => opt(GROUP.measure, '--no-kernel-count', "don't count syscalls from the kernel's side (sys_enter raw tracepoint)");

/** --runs, --warmup, --budget, --precision (auto repeats), --no-kernel-count. */
export const measureOptions = () => [runsOption(), warmupOption(), budgetOption(), precisionOption(), kernelCountOption()];

/** sweep: fixed counts per point. */
export const runsCountOption = (description: string, value: number) =>
  opt(GROUP.measure, '--runs <n>', description)
    .argParser(rangeChecked('--runs', 1, 100))
    .default(value);
export const warmupCountOption = (description: string, value: number) =>
  opt(GROUP.measure, '--warmup <n>', description)
    .argParser(rangeChecked('--warmup', 0, 100))
    .default(value);

/** ns per unit of a duration flag. */
const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9 };

/** `1ms`, `500us`, `500µs`, `1.5ms`, `2s`, `800ns` → ns (a unit is required; above 0). */
export function parseDuration(raw: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*(ns|us|µs|μs|ms|s)$/.exec(raw.trim());
  if (!m) throw new InvalidArgumentError(`'${raw}' is not a duration (examples: 800ns, 500us, 500µs, 1ms, 1.5ms, 2s).`);
  const ns = Math.round(Number(m[1]) * DURATION_UNITS[m[2]!]!);
  if (!(ns >= 1)) throw new InvalidArgumentError(`'${raw}' must be at least 1 ns.`);
  return ns;
}

/** sweep: the p99 call latency a chunk must stay within. */
export const maxCallLatencyOption = () =>
  opt(GROUP.measure, '--max-call-latency <duration>', 'name the fastest chunk whose p99 bpf call latency stays within this (e.g. 1ms, 500us)').argParser(parseDuration);

/** run --writers N --write-rate OPS|max --write-mix LIST --volatile-every K. */
export const writersOptions = () => [
  opt(GROUP.writers, '--writers <n>', 'also read each strategy while N in-kernel writers (a syscall program looped with bpf_loop, one thread each) change the map').argParser(
    rangeChecked('--writers', 1, COUNTER_WRITER_SLOTS),
  ),
  opt(GROUP.writers, '--write-rate <ops>', "ops per second per writer, or 'max' (back to back)")
    .argParser(autoMax('--write-rate', 1, 1e9))
    .default('max'),
  opt(GROUP.writers, '--write-mix <ops>', 'what the writers do: update, delete, insert (any of them)')
    .argParser(parseList('--write-mix', 'write op', WRITE_OPS))
    .default([...WRITE_OPS], WRITE_OPS.join(',')),
  opt(GROUP.writers, '--volatile-every <k>', "every k-th key, and as many fresh keys beyond --entries, are the writers'; the others stay put")
    .argParser(rangeChecked('--volatile-every', 2, 1 << 20))
    .default(8),
];

// The run result (bpfbench run, reproduce): docs/json.md "Run results".
import { SCHEMA_IDS } from './ids.js';
import { Type } from '@sinclair/typebox';
import { CallLatency, Context, MapInfo, SCHEMA_VERSION_1, Tool, Unavailable, WallStats } from './common-schema.js';
import { Bool, ByName, Count, Counts, Later, NonNeg, Nullable, Num, Obj, OneOf, Open, Positive, Sometimes, Str, Strings } from './kit.js';

const Loop = () => OneOf('native', 'js');
const AuditRead = () => OneOf('warmup', 'full', 'prefix');
const KernelCount = () => Obj({ total: Count(), bpf: Counts(), bpfTotal: Count() });
const Sums = () => Nullable(Bool());

const Verified = () =>
  Obj({
    ok: Bool(),
    expectedToFail: Bool(),
    entries: Count(),
    distinct: Count(),
    expectedEntries: Count(),
    keySumOk: Sums(),
    checksumOk: Sums(),
    badValues: Count(),
    badKeys: Count(),
    problems: Strings(),
    checkedBy: Later(OneOf('native', 'js', 'native+js')),
    /** A map bpfbench did not make. */
    inconsistentUnderChange: Sometimes(Bool()),
  });

const Syscalls = () =>
  Obj({
    bpf: Counts(),
    bpfTotal: Count(),
    perEntry: NonNeg(),
    variedBetweenRuns: Bool(),
    kernel: Nullable(KernelCount()),
    agree: Nullable(Bool()),
    kernelCountedRead: Nullable(Str()),
    countedBy: Later(Type.Literal('self')),
    read: Later(Str()),
    audit: Later(Nullable(Obj({ read: AuditRead(), entries: Count(), wallNs: NonNeg(), bpf: Counts(), kernel: KernelCount(), agree: Bool(), callLatency: Later(Nullable(CallLatency())) }))),
    matchesAudit: Later(Nullable(Bool())),
  });

const Consistency = () => ({
  stableOnce: Count(),
  stableDuplicates: Count(),
  stableMissed: Count(),
  volatileSeen: Count(),
  stray: Count(),
  wrongValues: Count(),
  restarts: Count(),
});

const Writers = () =>
  Obj({
    n: Count(),
    rate: Type.Union([NonNeg(), Type.Literal('max')]),
    rounds: Count(),
    readerNsPerEntryAlone: NonNeg(),
    readerNsPerEntryDuring: NonNeg(),
    readerSlowdown: NonNeg(),
    opsPerSecAlone: NonNeg(),
    opsPerSecDuringRead: NonNeg(),
    writerSlowdown: NonNeg(),
    aborted: Count(),
    bpfCalls: Later(
      Nullable(
        Obj({
          reader: Obj({ self: Counts(), kernel: Counts(), agree: Bool() }),
          writers: Obj({ self: Counts(), kernel: Counts(), agree: Bool() }),
          read: Later(Obj({ entries: Count(), aborted: Bool(), consistency: Obj(Consistency()) })),
        }),
      ),
    ),
  });

/** `{p50, p90, p99, p999, max, …}`, or one such per command. */
const Percentiles = () => Obj({ p50: NonNeg(), p90: NonNeg(), p99: NonNeg(), p999: NonNeg(), max: NonNeg() });
const CallLatencies = () => Type.Union([CallLatency(), Type.Record(Type.String(), Percentiles(), { minProperties: 1 })]);

export const StrategyResult = () =>
  Obj({
    strategy: Str(),
    label: Str(),
    chunk: Nullable(Count()),
    runs: Count(),
    warmupRuns: Count(),
    verified: Verified(),
    counted: Count(),
    effectiveChunk: Later(Nullable(Count())),
    chunkGrowths: Later(Count()),
    wallNs: Obj({ ...WallStats().properties, rme: Nullable(NonNeg()) }),
    noise: Sometimes(Type.Array(Obj({ stealNs: NonNeg(), involuntarySwitches: Count(), migrations: Nullable(Count()), disturbed: Bool() }))),
    stoppedBy: Sometimes(OneOf('precision', 'budget', 'max runs')),
    nsPerEntry: NonNeg(),
    nsPerDistinctEntry: NonNeg(),
    entriesPerSec: NonNeg(),
    cpu: Obj({ userNs: NonNeg(), sysNs: NonNeg() }),
    syscalls: Syscalls(),
    kernelTime: Later(Nullable(Obj({ nsPerCall: ByName(NonNeg()), bpfNs: NonNeg(), fractionOfWall: NonNeg(), read: AuditRead() }))),
    callLatency: Later(Nullable(CallLatencies())),
    aborted: Later(Nullable(Obj({ read: Str(), steps: Count() }))),
    sharded: Later(
      Nullable(
        Obj({
          threads: Type.Integer({ minimum: 1 }),
          overlap: Obj({ entries: Count(), calls: Count(), mismatched: Count() }),
          perShard: Obj({ entries: Type.Array(Count()), calls: Type.Array(Count()), ns: Type.Array(NonNeg()) }),
        }),
      ),
    ),
    consistency: Later(Nullable(Obj({ ...Consistency(), reads: Count(), worstRead: Str(), perRead: Type.Array(Obj(Consistency())) }))),
    writers: Later(Nullable(Writers())),
    memory: Obj({ heapUsedDeltaBytes: Num(), externalDeltaBytes: Num(), rssPeakBytes: NonNeg(), allocatedBytes: NonNeg(), allocatedBytesPerEntry: NonNeg(), gcCount: Count(), gcPauseNs: NonNeg() }),
  });

const Config = () =>
  Obj({
    mapType: Str(),
    keySize: Count(),
    valueSize: Count(),
    entries: Count(),
    maxEntries: Count(),
    mapFlags: Count(),
    chunk: Count(),
    fill: Str(),
    runs: Type.Union([Count(), Type.Literal('auto')]),
    warmup: Count(),
    strategies: Strings(),
    kernelCount: Bool(),
    counterPid: Later(Nullable(OneOf('pid-namespace', 'host-pid'))),
    source: Str(),
    verification: OneOf('loader', 'cross-strategy'),
    loop: Later(Loop()),
    writers: Later(
      Nullable(
        Obj({
          n: Count(),
          rate: Type.Union([NonNeg(), Type.Literal('max')]),
          mix: Type.Array(OneOf('update', 'delete', 'insert')),
          volatileEvery: Count(),
          fresh: Count(),
          stableKeys: Count(),
          volatileKeys: Count(),
        }),
      ),
    ),
    threads: Later(Nullable(Count())),
  });

const Summary = () =>
  Obj({
    ok: Bool(),
    speedup: ByName(Positive()),
    speedupMean: ByName(Obj({ x: Positive(), sd: Nullable(NonNeg()) })),
    shardedSpeedup: Sometimes(ByName(Obj({ over: Str(), threads: Count(), x: Positive(), mean: Positive(), sd: Nullable(NonNeg()) }))),
    failed: Strings(),
    inconsistentUnderChange: Sometimes(Strings()),
    line: Str(),
  });

/** reproduce: the published experiment's figures beside this run's (docs/json.md); its rows are open. */
const Reproduction = () =>
  Open({
    rows: Type.Array(Open({ strategy: Str(), label: Str() })),
    speedup: Open({ published: Num(), flawedLoop: Nullable(Num()), correct: Nullable(Num()) }),
    flawReproduced: Bool(),
    ok: Bool(),
  });

export const RunResult = () =>
  Obj(
    {
      $schema: Later(Str()),
      schemaVersion: SCHEMA_VERSION_1,
      tool: Tool(),
      createdAt: Str(),
      context: Context(),
      config: Config(),
      map: Obj({ ...MapInfo().properties, estimatedBytes: NonNeg() }),
      fill: Nullable(Obj({ method: Str(), wallNs: NonNeg(), nsPerEntry: NonNeg(), bpfCalls: Counts(), threads: Later(Count()) })),
      results: Type.Array(StrategyResult(), { minItems: 1 }),
      crossCheck: Later(Nullable(Obj({ agree: Bool(), groups: Type.Array(Obj({ labels: Strings(), entries: Count(), distinct: Count(), keySum: Count(), checksum: Count() })), excluded: Strings() }))),
      unavailable: Later(Unavailable()),
      wallTime: Later(Obj({ totalNs: NonNeg(), phases: Type.Array(Obj({ phase: Str(), ns: NonNeg(), kernelBound: Bool() })), otherNs: NonNeg(), ownNs: NonNeg(), ownShare: NonNeg() })),
      process: Later(
        Obj({
          countedBy: Str(),
          libbpf: Str(),
          total: Count(),
          byPhase: Type.Array(Obj({ phase: Str(), calls: Counts(), total: Count() })),
          byCommand: Counts(),
        }),
      ),
      summary: Summary(),
      warnings: Strings(),
      reproduction: Sometimes(Reproduction()),
    },
    { $id: SCHEMA_IDS.run, title: 'bpfbench run result', description: 'bpfbench run and reproduce --json (docs/json.md "Run results")' },
  );

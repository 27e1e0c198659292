// The peers result (bpfbench peers): docs/json.md "Peers".
import { SCHEMA_IDS } from './ids.js';
import { Type, type TSchema } from '@sinclair/typebox';
import { Context, MapInfo, SCHEMA_VERSION_1, Tool, Unavailable, WallStats } from './common-schema.js';
import { Bool, ByName, Count, Counts, Later, NonNeg, Nullable, Obj, OneOf, Positive, Sometimes, Str, Strings } from './kit.js';

const Loop = () => OneOf('native', 'js');
const Covers = () => OneOf('read', 'process');
/** One read's bpf calls with who counted them and what the count spans. */
const CallCount = <T extends TSchema>(countedBy: T) => Obj({ countedBy, covers: Covers(), calls: Counts() });

/**
 * A row's bpf calls: counted (`{countedBy, covers, calls}`), or, in results
 * from before every count carried its source, the counts alone (`{CMD: n}`).
 * Which form is decided by its keys, so an error names the right field.
 */
const BpfCalls = () =>
  Type.Unsafe<{ countedBy: 'kernel' | 'self'; covers: 'read' | 'process'; calls: Record<string, number> } | Record<string, number>>({
    type: 'object',
    if: { anyOf: [{ required: ['countedBy'] }, { required: ['calls'] }, { required: ['covers'] }] },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else, not a promise.
    then: CallCount(OneOf('kernel', 'self')),
    else: Counts(),
  });

const Interval = () => Obj({ x: Type.Number(), lo: Type.Number(), hi: Type.Number(), n: Count() });
// held: a ceiling's verdict (since 2026-12-06); improved and unchanged: the two-sided rule's, before.
const Verdict = () => OneOf('regressed', 'held', 'improved', 'unchanged', 'undecided');

const Row = () =>
  Obj({
    impl: Str(),
    loop: Sometimes(Loop()),
    strategy: Str(),
    chunk: Later(Nullable(Count())),
    timedBy: Later(OneOf('self', 'bpfbench')),
    timeIncludesStartup: Later(Bool()),
    error: Later(Nullable(Str())),
    runs: Count(),
    verified: Obj({ ok: Bool(), expectedToFail: Bool(), entries: Count(), distinct: Count(), problems: Strings(), checkedBy: Sometimes(OneOf('native', 'js', 'native+js')) }),
    /** null: a failed row, which timed no read. */
    wallNs: Nullable(WallStats()),
    nsPerEntry: Nullable(NonNeg()),
    ratioToC: Nullable(Positive()),
    allocatedBytesPerEntry: Nullable(NonNeg()),
    gcCount: Nullable(Count()),
    cpus: Later(Nullable(Type.Array(Count()))),
    bpfCalls: Nullable(BpfCalls()),
    selfBpfCalls: Nullable(Obj({ ...CallCount(Type.Literal('self')).properties, agrees: Bool() })),
    processBpfCalls: Nullable(CallCount(Type.Literal('kernel'))),
    auditTime: Later(Nullable(Obj({ wallNs: NonNeg(), bpfNs: NonNeg(), outsideNs: Type.Number(), bpfNsPerEntry: NonNeg(), outsideNsPerEntry: Type.Number() }))),
  });

const Gate = () =>
  Obj({
    reference: Type.Union([Positive(), ByName(Positive())]),
    threshold: NonNeg(),
    method: Str(),
    rounds: Count(),
    maxRounds: Count(),
    stop: OneOf('decided', 'max rounds'),
    rows: Type.Array(
      Obj({
        impl: Str(),
        loop: Sometimes(Loop()),
        strategy: Str(),
        decision: Nullable(Obj({ ratio: Interval(), reference: Positive(), change: Interval(), verdict: Verdict(), moreRounds: Nullable(Count()) })),
        why: Nullable(Str()),
      }),
    ),
    verdict: OneOf('passed', 'regressed', 'undecided'),
  });

export const PeersResult = () =>
  Obj(
    {
      $schema: Later(Str()),
      schemaVersion: SCHEMA_VERSION_1,
      kind: Type.Literal('peers'),
      tool: Tool(),
      createdAt: Str(),
      context: Context(),
      config: Obj({
        entries: Count(),
        maxEntries: Count(),
        chunk: Count(),
        rounds: Count(),
        strategies: Strings(),
        impls: Strings(),
        loops: Later(Type.Array(Loop())),
        fill: Str(),
        threads: Later(Nullable(Count())),
        cpu: Later(Nullable(Count())),
      }),
      map: MapInfo(),
      results: Type.Array(Row(), { minItems: 1 }),
      skipped: Type.Array(Obj({ impl: Str(), why: Str(), broken: Bool() })),
      ok: Bool(),
      unavailable: Later(Unavailable()),
      gate: Sometimes(Gate()),
    },
    { $id: SCHEMA_IDS.peers, title: 'bpfbench peers result', description: 'bpfbench peers --json (docs/json.md "Peers")' },
  );

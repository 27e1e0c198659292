// The sweep result (bpfbench sweep): docs/json.md "Sweep".
import { SCHEMA_IDS } from './ids.js';
import { Type } from '@sinclair/typebox';
import { CallLatency, Context, SCHEMA_VERSION_1, Tool, Unavailable } from './common-schema.js';
import { Bool, Count, Counts, Later, NonNeg, Nullable, Num, Obj, OneOf, Str, Strings } from './kit.js';

const Point = () =>
  Obj({
    entries: Count(),
    maxEntries: Count(),
    strategy: Str(),
    label: Str(),
    chunk: Nullable(Count()),
    effectiveChunk: Nullable(Count()),
    chunkGrowths: Count(),
    runs: Type.Integer({ minimum: 1 }),
    medianNs: NonNeg(),
    sdNs: NonNeg(),
    nsPerEntry: NonNeg(),
    verified: Bool(),
    problems: Strings(),
    bpfCalls: Counts(),
    callLatency: Later(Nullable(CallLatency())),
  });

/** The cost model of one size and strategy (report/fit.ts). */
const Fit = () =>
  Obj({
    entries: Count(),
    strategy: Str(),
    perCallNs: Num(),
    perCallSe: Nullable(Num()),
    perEntryNs: Num(),
    perEntrySe: Nullable(Num()),
    rse: Nullable(Num()),
    r2: Nullable(Num()),
    n: Count(),
    within5pctChunk: Nullable(Count()),
  });

const LatencyPick = () =>
  Obj({ entries: Count(), strategy: Str(), chunk: Nullable(Count()), nsPerEntry: Nullable(NonNeg()), p99: Nullable(NonNeg()), closest: Nullable(Obj({ chunk: Count(), p99: NonNeg() })) });

export const SweepResult = () =>
  Obj(
    {
      $schema: Later(Str()),
      schemaVersion: SCHEMA_VERSION_1,
      kind: Type.Literal('sweep'),
      tool: Tool(),
      createdAt: Str(),
      context: Context(),
      config: Obj({
        entries: Type.Array(Count(), { minItems: 1 }),
        maxEntries: Later(Type.Array(Count())),
        chunks: Type.Array(Count(), { minItems: 1 }),
        strategies: Strings(),
        mapType: Str(),
        fill: Str(),
        runs: Count(),
        loop: Later(OneOf('native', 'js')),
        maxCallLatencyNs: Later(Nullable(NonNeg())),
      }),
      points: Type.Array(Point(), { minItems: 1 }),
      best: Type.Array(Obj({ entries: Count(), strategy: Str(), chunk: Count(), nsPerEntry: NonNeg() })),
      fits: Later(Type.Array(Fit())),
      latencyBudget: Later(Nullable(Obj({ maxCallLatencyNs: NonNeg(), picks: Type.Array(LatencyPick()) }))),
      ok: Bool(),
      unavailable: Later(Unavailable()),
    },
    { $id: SCHEMA_IDS.sweep, title: 'bpfbench sweep result', description: 'bpfbench sweep --json (docs/json.md "Sweep")' },
  );

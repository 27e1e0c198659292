// The comparison (bpfbench compare --json): docs/json.md "Compare".
import { SCHEMA_IDS } from './ids.js';
import { Type } from '@sinclair/typebox';
import { SCHEMA_VERSION_1 } from './common-schema.js';
import { Bool, Count, Later, NonNeg, Nullable, Obj, OneOf, Sometimes, Str } from './kit.js';

const Row = () =>
  Obj({
    gate: Type.Union([0, 1, 2, 3, 4].map((g) => Type.Literal(g))),
    figure: Str(),
    baseline: Str(),
    current: Str(),
    mark: OneOf('+', '-', '~', '?', 'x'),
    gating: Bool(),
    change: Sometimes(Obj({ x: Type.Number(), lo: Type.Number(), hi: Type.Number(), n: Count(), verdict: OneOf('regressed', 'improved', 'unchanged', 'undecided'), moreReads: Nullable(Count()) })),
  });

export const CompareResult = () =>
  Obj(
    {
      $schema: Later(Str()),
      schemaVersion: SCHEMA_VERSION_1,
      kind: Type.Literal('compare'),
      baseline: Str(),
      current: Str(),
      threshold: NonNeg(),
      rows: Type.Array(Row()),
      comparable: Bool(),
      regression: Bool(),
      undecided: Bool(),
      verdict: OneOf('no regression', 'regression', 'undecided', 'not comparable'),
      speedGates: Obj({ applied: Bool(), why: Nullable(Str()) }),
      method: Str(),
    },
    { $id: SCHEMA_IDS.compare, title: 'bpfbench comparison', description: 'bpfbench compare --json (docs/json.md "Compare")' },
  );

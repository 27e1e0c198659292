// What every JSON result bpfbench writes carries as `"$schema"`: the path of
// its schema inside the npm package (node_modules/bpfbench/schema/…, or
// `import.meta.resolve('bpfbench/schema/run.schema.json')`), which is also
// the schema's `$id`. Stable while schemaVersion is 1 (docs/json.md).
export type ResultKind = 'run' | 'sweep' | 'peers' | 'compare';

export const SCHEMA_IDS: Record<ResultKind, string> = {
  run: 'bpfbench/schema/run.schema.json',
  sweep: 'bpfbench/schema/sweep.schema.json',
  peers: 'bpfbench/schema/peers.schema.json',
  compare: 'bpfbench/schema/compare.schema.json',
};

// The results contract, defined once (TypeBox: run-schema.ts, sweep-schema.ts,
// peers-schema.ts, compare-schema.ts), checked with Ajv (contract.ts), and
// published as schema/*.schema.json in the npm package (emit.ts).
export {
  checkResult,
  COMPARE_KINDS,
  parseResult,
  REPORT_KINDS,
  resultSchema,
  KINDS,
  SCHEMA_IDS,
  type CompareResultJson,
  type Loaded,
  type LoadedResult,
  type ResultFile,
  type ResultKind,
} from './contract.js';
export { callLatencies, peerCalls, type LatencyPercentiles, type PeerCalls, type Percentile } from './shapes.js';

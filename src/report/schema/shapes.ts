// Fields of the contract that come in more than one form, read as one:
// a call latency (one distribution, or one per command) and a peers row's
// bpf calls (counted with their source, or the bare counts of older results).
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const PERCENTILES = ['p50', 'p90', 'p99', 'p999', 'max'] as const;
export type Percentile = (typeof PERCENTILES)[number];
export type LatencyPercentiles = Record<Percentile, number>;

/**
 * `results[].callLatency` (when a result carries it): one distribution
 * `{p50, p90, p99, p999, max}` in ns per call, or one per bpf command
 * (`{LOOKUP_BATCH: {p50, …}}`). Returned as named distributions ('' for the single one).
 */
export function callLatencies(v: unknown): { name: string; p: LatencyPercentiles }[] {
  if (!isObj(v)) return [];
  const isDist = (x: unknown): x is LatencyPercentiles => isObj(x) && PERCENTILES.every((k) => typeof x[k] === 'number' && Number.isFinite(x[k]) && x[k] > 0);
  if (isDist(v)) return [{ name: '', p: v }];
  return Object.entries(v)
    .filter((e): e is [string, LatencyPercentiles] => isDist(e[1]))
    .map(([name, p]) => ({ name, p }));
}

/** A peers row's bpf calls of one read: `{countedBy, covers, calls}`, or (results made before the kernel counted peers) the bare `{COMMAND: calls}`. */
export interface PeerCalls {
  calls: Record<string, number>;
  /** 'kernel' or 'self'; null for the bare form, which does not say. */
  countedBy: string | null;
  /** 'read' or 'process' (bpftool: its whole process); null for the bare form. */
  covers: string | null;
}

export function peerCalls(v: unknown): PeerCalls | null {
  if (!isObj(v)) return null;
  if (isObj(v.calls)) return { calls: v.calls as Record<string, number>, countedBy: typeof v.countedBy === 'string' ? v.countedBy : null, covers: typeof v.covers === 'string' ? v.covers : null };
  return { calls: v as Record<string, number>, countedBy: null, covers: null };
}

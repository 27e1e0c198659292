// Small, hand-made results with the fields `compare` reads (and the JSON
// contract's shape), for the pure tests of src/report/analysis/compare-baseline.ts and
// report/schema/contract.ts. Built fresh on each call: a test may mutate its copy.
import type { PeerCellJson, PeersResultJson } from '../../../src/report/result/peers-result.js';
import type { RunResultJson } from '../../../src/report/result/run-json.js';
import type { StrategyResultJson } from '../../../src/report/result/strategy-json.js';

export const N = 65536;
const map = { id: 1, type: 'hash', keySize: 4, valueSize: 4, maxEntries: N, flags: 0x40, memlockBytes: 1 << 20, createNs: 1000 };
const context = { kernel: '6.18.0-test', cpuModel: 'Test CPU', cpus: 2, memTotalBytes: 1 << 30, node: 'v20', koffi: '3', libbpf: '1.1' };

function row(strategy: string, label: string, chunk: number | null, medianNs: number, bpf: Record<string, number>): StrategyResultJson {
  const samples = [medianNs, medianNs, medianNs];
  return {
    strategy,
    label,
    chunk,
    callLatency: null,
    runs: 3,
    warmupRuns: 1,
    verified: { ok: true, expectedToFail: false, entries: N, distinct: N, expectedEntries: N, keySumOk: true, checksumOk: true, badValues: 0, badKeys: 0, problems: [] },
    counted: N,
    effectiveChunk: chunk,
    chunkGrowths: 0,
    // sd 0: the interval of a ratio of means is the ratio itself.
    wallNs: { mean: medianNs, sd: 0, median: medianNs, min: medianNs, max: medianNs, rme: 0, samples },
    nsPerEntry: medianNs / N,
    nsPerDistinctEntry: medianNs / N,
    entriesPerSec: N / (medianNs / 1e9),
    cpu: { userNs: 0, sysNs: medianNs },
    syscalls: {
      bpf,
      bpfTotal: Object.values(bpf).reduce((a, b) => a + b, 0),
      perEntry: 0,
      variedBetweenRuns: false,
      kernel: null,
      agree: null,
      kernelCountedRead: null,
      countedBy: 'self',
      read: 'run 1',
      audit: null,
      matchesAudit: null,
    },
    kernelTime: null,
    memory: { heapUsedDeltaBytes: 0, externalDeltaBytes: 0, rssPeakBytes: 0, allocatedBytes: 0, allocatedBytesPerEntry: 0, gcCount: 0, gcPauseNs: 0 },
  };
}

/** elem + batch(4096) of a 64Ki hash map; `mapFlags` 0x40 is BPF_F_ZERO_SEED. */
export function runResult(mapFlags = 0x40): RunResultJson {
  return {
    schemaVersion: 1,
    tool: { name: 'bpfbench', version: '0.0.0' },
    createdAt: new Date(0).toISOString(),
    context: { ...context },
    config: {
      mapType: 'hash',
      keySize: 4,
      valueSize: 4,
      entries: N,
      maxEntries: N,
      mapFlags,
      chunk: 4096,
      fill: 'prog',
      runs: 3,
      warmup: 1,
      strategies: ['elem', 'batch'],
      kernelCount: false,
      source: 'create',
      verification: 'loader',
      loop: 'native',
    },
    map: { ...map, flags: mapFlags, estimatedBytes: 0 },
    fill: null,
    results: [row('elem', 'elem', null, 200e6, { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N }), row('batch', 'batch(4096)', 4096, 25e6, { LOOKUP_BATCH: 1000 })],
    summary: { ok: true, speedup: { elem: 1, batch: 8 }, speedupMean: {}, failed: [], line: '' },
    warnings: [],
  };
}

function cell(impl: string, strategy: string, nsPerEntry: number, ratioToC: number | null, calls: Record<string, number>): PeerCellJson {
  const median = nsPerEntry * N;
  return {
    impl,
    ...(impl === 'ts' ? { loop: 'native' as const } : {}),
    strategy,
    chunk: null,
    timedBy: 'self',
    timeIncludesStartup: false,
    error: null,
    runs: 1,
    verified: { ok: true, expectedToFail: false, entries: N, distinct: N, problems: [] },
    wallNs: { mean: median, sd: 0, median, min: median, max: median, samples: [median] },
    nsPerEntry,
    ratioToC,
    allocatedBytesPerEntry: impl === 'c' ? null : 0,
    gcCount: impl === 'c' ? null : 0,
    bpfCalls: { countedBy: 'kernel', covers: 'read', calls },
    selfBpfCalls: { countedBy: 'self', covers: 'read', calls, agrees: true },
    processBpfCalls: null,
  };
}

/** ts (native loop) and c, elem and batch(4096), one pinned 64Ki map. */
export function peersResult(): PeersResultJson {
  const elemCalls = { GET_NEXT_KEY: N + 1, LOOKUP_ELEM: N };
  return {
    schemaVersion: 1,
    kind: 'peers',
    tool: { name: 'bpfbench', version: '0.0.0' },
    createdAt: new Date(0).toISOString(),
    context: { ...context },
    config: { entries: N, maxEntries: N, chunk: 4096, rounds: 1, strategies: ['elem', 'batch'], impls: ['ts', 'c'], loops: ['native'], fill: 'prog' },
    map: { ...map },
    results: [cell('ts', 'elem', 3000, 1.5, elemCalls), cell('ts', 'batch', 250, 1.25, { LOOKUP_BATCH: 17 }), cell('c', 'elem', 2000, 1, elemCalls), cell('c', 'batch', 200, 1, { LOOKUP_BATCH: 17 })],
    skipped: [],
    ok: true,
  };
}

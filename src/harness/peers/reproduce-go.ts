// `reproduce --impls ts,go`: the published experiment re-run by Go itself.
// The Go peer (cilium/ebpf, scripts/peers/go) reads the map bpfbench made
// and filled for `reproduce`, pinned for the purpose, with the same three
// reads at the same chunk: per element (Map.Iterate), the published loop
// that never advances its cursor, and the corrected batch loop. Each read is
// verified against what bpfbench wrote, the distinct keys it saw included.
// Timed twice: the read alone on Go's own clock (time.Now around it), and
// its whole process on bpfbench's (start-up included, as multitime timed
// the published runs).
import { PIN_DIR, preparePinPath, removePin, trackPin } from '../../bpf/maps/bpffs.js';
import type { BpfMap } from '../../bpf/maps/map.js';
import { InvariantError, UsageError } from '../../errors.js';
import { FILL_VALUE } from '../filling/bench-map.js';
import { goPeer } from './peer-programs.js';
import { verifyPeer } from './program-peer.js';
import type { Progress } from '../measuring/progress.js';

/** One read by the Go peer. */
export interface GoRead {
  strategy: string;
  /** Why it did not run to its end (one line); null when it did. */
  error: string | null;
  /** Go's clock around the read alone; null when it failed. */
  wallNs: number | null;
  /** bpfbench's clock around the whole Go process (start-up, map open, the read, its report). */
  processWallNs: number | null;
  counted: number;
  distinct: number;
  verified: boolean;
  problems: string[];
  allocatedBytes: number | null;
  gcCount: number | null;
}

/** The Go peer built, before any map is made; missing tools or a failed build is one line. */
export function prepareGo(log: (line: string) => void): void {
  const no = goPeer.prepare(log);
  if (no) throw new UsageError(`go: ${no.why}`);
}

/** The library the Go peer builds against, as the package manager names it (for the record). */
export const GO_LIBRARY = 'cilium/ebpf 0.9.1 (Debian golang-github-cilium-ebpf-dev)';

/** The Go peer's reads of `map` (filled with keys 0..entries-1 → FILL_VALUE by bpfbench), in this order. */
export function goReads(map: BpfMap, o: { entries: number; chunk: number; strategies: readonly string[]; progress: Progress }): GoRead[] {
  const pin = `${PIN_DIR}/reproduce-go-${process.pid}`;
  const expect = { entries: o.entries, value: FILL_VALUE };
  preparePinPath(pin);
  map.pin(pin);
  trackPin(pin);
  try {
    return o.strategies.map((strategy): GoRead => {
      o.progress.start(`Go (cilium/ebpf): ${strategy}`, 0);
      const t0 = process.hrtime.bigint();
      try {
        const r = goPeer.read(pin, strategy, o.chunk, expect);
        // A program peer reads with spawnSync: `reproduce` runs synchronously.
        if (r instanceof Promise) throw new InvariantError('the Go peer read asynchronously');
        const processWallNs = Number(process.hrtime.bigint() - t0);
        const v = verifyPeer(r, expect);
        return {
          strategy,
          error: null,
          wallNs: r.wallNs,
          processWallNs,
          counted: r.entries,
          distinct: r.distinct,
          verified: v.ok,
          problems: v.problems,
          allocatedBytes: r.allocatedBytes ?? null,
          gcCount: r.gcCount ?? null,
        };
      } catch (e) {
        const line = (e as Error).message.split('\n')[0]!;
        return { strategy, error: line, wallNs: null, processWallNs: null, counted: 0, distinct: 0, verified: false, problems: [line], allocatedBytes: null, gcCount: null };
      } finally {
        o.progress.end();
      }
    });
  } finally {
    removePin(pin);
  }
}

// The versioned JSON result of a run (schemaVersion 1; its types in
// run-json.ts and strategy-json.ts), built from the harness's measurements by
// a pure function, so the table, the summary and the file all say the same
// thing; and the run's one-line summary.
import { loopOf as configLoop, type RunOutcome } from '../../harness/measuring/run-benchmark.js';
import { meanRatio } from '../../harness/measuring/stats.js';
import { disagreementText } from '../../harness/verification/census.js';
import { isReference, REFERENCE, referenceOf } from '../../strategies/index.js';
import { processWallNs, type WallAccount } from '../../harness/measuring/wall-time.js';
import { fmtX } from '../formats/format.js';
import { SCHEMA_IDS } from '../schema/ids.js';
import { SCHEMA_VERSION, type ToolInfo, type StrategyResultJson } from './strategy-json.js';
import type { RunResultJson, WallTimeJson } from './run-json.js';
import { keySpaceOf, strategyResult } from './strategy-result.js';
import { changedText, runWarnings } from './warnings.js';

export function summaryLine(results: StrategyResultJson[], speedup: Record<string, number>, speedupMean: Record<string, { x: number; sd: number | null }> = {}): string {
  const failed = results.filter((r) => !r.verified.ok);
  if (failed.length) return `FAILED: ${failed.map((r) => r.label).join(', ')} failed verification`;
  const base = referenceOf(results);
  const others = results.filter((r) => !isReference(r.strategy) && r.verified.ok && speedup[r.strategy] !== undefined);
  const fmt = (n: number) => n.toLocaleString('en-US');
  if (base && others.length) {
    return others
      .map((r) => {
        const m = speedupMean[r.strategy];
        const x = m?.sd != null ? m.x : speedup[r.strategy]!;
        const pm = m?.sd != null ? ` ± ${fmtX(m.sd)}` : '';
        const how = x >= 1 ? `${fmtX(x)}${pm}× faster than` : `${fmtX(1 / x)}× slower than`;
        return `${r.label} read ${fmt(r.verified.entries)} entries ${how} ${REFERENCE.name}`;
      })
      .join('; ');
  }
  const ok = results.filter((r) => r.verified.ok);
  return ok.map((r) => `${r.label} read ${fmt(r.verified.entries)} entries in ${(r.wallNs.median / 1e9).toFixed(3)} s`).join('; ');
}

/** The account of a run's wall time, closed at `totalNs`. */
export function wallTimeOf(wall: WallAccount, totalNs: number): WallTimeJson {
  const phases = wall.phases.map((p) => ({ ...p }));
  const covered = phases.reduce((a, p) => a + p.ns, 0);
  const total = Math.max(totalNs, covered);
  const otherNs = total - covered;
  const ownNs = phases.filter((p) => !p.kernelBound).reduce((a, p) => a + p.ns, 0) + otherNs;
  return { totalNs: total, phases, otherNs, ownNs, ownShare: ownNs / Math.max(1, total) };
}

/** The result of a run; `totalNs`: the process's wall time so far (the wall-time account's total). */
export function buildRunResult(o: RunOutcome, tool: ToolInfo, createdAt = new Date(), totalNs = processWallNs()): RunResultJson {
  const results = o.measurements.map((m) => strategyResult(m, o.config.writers));
  const base = referenceOf(results, (r) => r.verified.ok);
  const speedup: Record<string, number> = {};
  const speedupMean: Record<string, { x: number; sd: number | null }> = {};
  if (base) {
    for (const r of results) {
      if (!r.verified.ok) continue;
      speedup[r.strategy] = base.wallNs.median / r.wallNs.median;
      const { x, sd } = meanRatio(base.wallNs, base.runs, r.wallNs, r.runs);
      speedupMean[r.strategy] = { x, sd };
    }
  }
  const shardedSpeedup: NonNullable<RunResultJson['summary']['shardedSpeedup']> = {};
  for (const r of results) {
    if (!r.sharded || !r.verified.ok) continue;
    const single = results.find((b) => b.strategy === r.strategy.replace(/-sharded$/, '') && b.verified.ok);
    if (!single) continue;
    const { x, sd } = meanRatio(single.wallNs, single.runs, r.wallNs, r.runs);
    shardedSpeedup[r.strategy] = { over: single.strategy, threads: r.sharded.threads, x: single.wallNs.median / r.wallNs.median, mean: x, sd };
  }
  // A map bpfbench did not make: a read that saw what only a changing map
  // shows (repeated keys, an abandoned walk) is inconsistent under change,
  // not wrong. Nothing was written to contradict, so nothing else is.
  const changed: string[] = [];
  if (!o.fill) {
    o.measurements.forEach((m, i) => {
      const r = results[i]!;
      const byChange =
        !r.verified.ok && !m.strategy.expectedToFail && (m.verdict.changedUnderneath === true || m.aborted !== undefined) && r.syscalls.agree !== false && !(m.underWriters?.failed ?? false);
      r.verified.inconsistentUnderChange = byChange;
      if (byChange) changed.push(r.label);
    });
  }
  // A strategy expected to fail (the published loop) still fails the run: its
  // read was wrong. Commands that reproduce it on purpose decide for themselves.
  const failed = results.filter((r) => !r.verified.ok && !r.verified.inconsistentUnderChange).map((r) => r.label);
  const disagree = o.crossCheck !== null && !o.crossCheck.agree;
  const warnings = runWarnings(results);
  if (disagree) warnings.unshift(disagreementText(o.crossCheck!));
  if (changed.length) warnings.unshift(changedText(results.filter((r) => r.verified.inconsistentUnderChange)));
  for (const m of o.measurements) if (m.note) warnings.push(`${m.label}: ${m.note}`);
  warnings.push(...o.notes);
  return {
    $schema: SCHEMA_IDS.run,
    schemaVersion: SCHEMA_VERSION,
    tool,
    createdAt: createdAt.toISOString(),
    context: o.context,
    config: {
      mapType: o.map.type,
      keySize: o.map.keySize,
      valueSize: o.map.valueSize,
      entries: o.fill ? o.config.entries : (results.find((r) => r.verified.ok)?.verified.entries ?? 0),
      maxEntries: o.map.maxEntries,
      mapFlags: o.config.mapFlags,
      chunk: o.config.chunk,
      fill: o.config.fill,
      runs: o.config.runsSetting,
      warmup: o.config.repeat.warmup,
      strategies: o.config.strategies.map((s) => s.name),
      kernelCount: o.config.kernelCount,
      counterPid: o.counterPid,
      source: o.config.source.kind === 'create' ? 'create' : o.config.source.kind === 'pin' ? `pin:${o.config.source.path}` : `id:${o.config.source.id}`,
      verification: o.fill ? 'loader' : 'cross-strategy',
      loop: configLoop(o.config),
      threads: o.config.threads ?? null,
      writers: o.config.writers ? { ...o.config.writers, mix: [...o.config.writers.mix], ...keySpaceOf(o.config.entries, o.config.writers.volatileEvery) } : null,
    },
    map: { ...o.map, estimatedBytes: o.memory.mapBytes },
    fill: o.fill ? { method: o.fill.method, wallNs: o.fill.wallNs, nsPerEntry: o.fill.wallNs / Math.max(1, o.fill.entries), bpfCalls: o.fill.bpfCalls, threads: o.fill.threads } : null,
    results,
    crossCheck: o.crossCheck ?? null,
    unavailable: o.unavailable,
    wallTime: wallTimeOf(o.wall, totalNs),
    ...(o.calls ? { process: o.calls } : {}),
    summary: {
      ok: failed.length === 0 && !disagree && changed.length === 0,
      speedup,
      speedupMean,
      ...(Object.keys(shardedSpeedup).length ? { shardedSpeedup } : {}),
      failed,
      ...(o.fill ? {} : { inconsistentUnderChange: changed }),
      line:
        failed.length > 0
          ? summaryLine(
              results.filter((r) => !r.verified.inconsistentUnderChange),
              speedup,
              speedupMean,
            )
          : changed.length
            ? `NOT VERIFIED: the map changed while bpfbench read it (${changed.join(', ')} saw it change, see the warning above); no strategy is called wrong`
            : disagree
              ? 'NOT VERIFIED: the strategies saw different contents (see the warning above); none is called wrong'
              : summaryLine(results, speedup, speedupMean),
    },
    warnings,
  };
}

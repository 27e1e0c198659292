// Everything bpfbench prints for a committed result file, in the forms a doc
// may quote from: used by readme.test.ts (a block marked
// `<!-- rendered from results/X.json -->` must be part of one of them) and by
// scripts/render-blocks.mjs, which rewrites such blocks after a re-measure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';
import { renderPeers } from '../../src/report/rendering/peers-table.js';
import type { PeersResultJson } from '../../src/report/result/peers-result.js';
import { explainReproduction, renderReproduction, type PublishedExperiment, type Reproduction } from '../../src/report/analysis/reproduction.js';
import type { RunResultJson } from '../../src/report/result/run-json.js';
import { renderSweepTable, type SweepResultJson } from '../../src/report/analysis/sweep-result.js';
import { renderRunDetail } from '../../src/report/rendering/detail-table.js';
import { renderRunFooter, renderRunHeader, renderRunTable, renderWritersTable } from '../../src/report/rendering/table.js';

const PUBLISHED = 'results/published/go-bpf-batch-test.json';
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** Everything bpfbench prints for a result file, in the forms a doc may quote from. */
export function renderings(file: string): string[] {
  const j = JSON.parse(read(file)) as { kind?: string; reproduction?: Reproduction };
  const opts = { color: false };
  if (j.kind === 'peers') return [renderPeers(j as unknown as PeersResultJson, opts)];
  if (j.kind === 'sweep') return [renderSweepTable(j as unknown as SweepResultJson, opts)];
  const r = j as unknown as RunResultJson;
  // As `run` prints it: the writers' table (run --writers) under the main one.
  const writers = renderWritersTable(r, opts);
  const head = `${renderRunHeader(r, opts)}\n${renderRunTable(r, opts)}${writers ? `\n${writers}` : ''}`;
  const forms = [`${head}\n${renderRunFooter(r, opts)}`, `${head}\n\n${renderRunDetail(r, opts)}\n${renderRunFooter(r, opts)}`];
  if (j.reproduction) {
    const pub = JSON.parse(read(PUBLISHED)) as PublishedExperiment;
    forms.push(`${renderReproduction(j.reproduction, pub, opts)}\n${explainReproduction(r, j.reproduction, pub)}`);
  }
  return forms;
}

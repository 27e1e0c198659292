// Every bpfbench result README.md and docs/*.md quote was made by the default
// read loop, so a figure a reader takes away is what `bpfbench run` does
// today. A result made by another loop may be quoted only as a labelled
// comparison: the line citing it says "js loop" or "--loop js". A result
// made before --loop existed (no loop recorded) fails: re-measure it
// (scripts/measure-results.sh). Experiment files of scripts/*.mjs are not
// bpfbench results (no schemaVersion) and are left out.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../src/paths.js';
import { DEFAULT_LOOP } from '../../src/strategies/index.js';

interface Cited {
  file: string;
  line: string;
}

/** Every results/*.json a doc cites, with the line that cites it; `<type>` expands to each committed type. */
function cited(): Map<string, Cited[]> {
  const docs = [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const out = new Map<string, Cited[]>();
  for (const file of docs) {
    for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
      for (const m of line.matchAll(/results\/[\w./{},<>-]*\.json/g)) {
        let paths = [m[0]];
        if (m[0].includes('<type>')) paths = readdirSync(join(ROOT, 'results/types')).map((f) => `results/types/${f}`);
        for (const p of paths) {
          if (!existsSync(join(ROOT, p))) continue;
          out.set(p, [...(out.get(p) ?? []), { file, line }]);
        }
      }
    }
  }
  return out;
}

/** The loops a bpfbench result was made with, or null for a file that is not one. */
export function loopsOf(j: { schemaVersion?: unknown; kind?: string; config?: { loop?: string; loops?: string[]; gate?: string } }): string[] | null {
  if (j.schemaVersion === undefined || !j.config) return null;
  if (j.kind === 'peers') return j.config.loops ?? [];
  // A calibration records the peers command its trials ran.
  if (j.kind === 'gate-calibration') return /--loops (\S+)/.exec(j.config.gate ?? '')?.[1]?.split(',') ?? [];
  return j.config.loop ? [j.config.loop] : [];
}

test('every result README.md and docs/*.md quote was made by the default loop, or is labelled as another', () => {
  const problems: string[] = [];
  let checked = 0;
  for (const [path, where] of cited()) {
    if (path.startsWith('results/published/')) continue; // the published experiment's figures, not a bpfbench run
    const loops = loopsOf(JSON.parse(readFileSync(join(ROOT, path), 'utf8')));
    if (loops === null) continue;
    checked++;
    if (loops.includes(DEFAULT_LOOP)) continue;
    const labelled = loops.length > 0 && where.every((c) => /js loop|--loop js/.test(c.line));
    if (!labelled)
      problems.push(`${path} (cited in ${[...new Set(where.map((c) => c.file))].join(', ')}): made by ${loops.length ? `the ${loops.join(', ')} loop` : 'a build before --loop'}, not ${DEFAULT_LOOP}`);
  }
  assert.deepEqual(problems, [], 're-measure these with scripts/measure-results.sh');
  assert.ok(checked >= 15, `only ${checked} cited results checked`);
});

test('the loop check tells a result made before --loop, a js-loop one and a native one apart', () => {
  assert.deepEqual(loopsOf({ schemaVersion: 1, config: {} }), []);
  assert.deepEqual(loopsOf({ schemaVersion: 1, config: { loop: 'js' } }), ['js']);
  assert.deepEqual(loopsOf({ schemaVersion: 1, kind: 'peers', config: { loops: ['native', 'js'] } }), ['native', 'js']);
  assert.equal(loopsOf({ config: { loop: 'js' } }), null);
  assert.deepEqual(loopsOf({ schemaVersion: 1, kind: 'gate-calibration', config: { gate: 'bpfbench peers --loops native --rounds 5' } }), ['native']);
});

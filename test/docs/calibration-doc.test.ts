// docs/ci-and-fleets.md carries the gate's calibration table: it must be the
// one rendered from the committed results/gate-calibration.json, between its
// markers, so the page never quotes figures the file does not hold.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../src/paths.js';
import { CALIBRATION_BEGIN, CALIBRATION_END, renderCalibrationTable, type CalibrationJson } from '../../src/report/analysis/calibration.js';

test('the calibration table in docs/ci-and-fleets.md is the one rendered from results/gate-calibration.json', () => {
  const json = JSON.parse(readFileSync(join(ROOT, 'results/gate-calibration.json'), 'utf8')) as CalibrationJson;
  assert.equal(json.kind, 'gate-calibration');
  assert.ok(json.cells.length > 0 && json.cells.every((c) => c.trials.length > 0), 'every cell has trials');
  const doc = readFileSync(join(ROOT, 'docs/ci-and-fleets.md'), 'utf8');
  const a = doc.indexOf(CALIBRATION_BEGIN);
  const b = doc.indexOf(CALIBRATION_END);
  assert.ok(a >= 0 && b > a, 'the markers are in the page');
  assert.equal(doc.slice(a + CALIBRATION_BEGIN.length, b).trim(), renderCalibrationTable(json).trim());
});

test('a cell short of the targeted trials says so in the caption', () => {
  const r: CalibrationJson = {
    kind: 'gate-calibration',
    context: { kernel: 'k', cpuModel: 'c', cpus: 2 },
    config: { entries: '1Mi', trialsTarget: 20, threshold: '5%', maxRounds: 20 },
    cells: [
      {
        strategy: 'batch',
        slowdownPercent: 0,
        injectNs: 0,
        trials: [
          { exit: 0, verdict: 'held', rounds: 6, seconds: 30, waitedSeconds: 100 },
          { exit: 3, verdict: 'regressed', rounds: 5, seconds: 20, waitedSeconds: 0 },
          // A trial from before the wait was recorded: its seconds include it, so it leaves the time column while others have theirs.
          { exit: 3, verdict: 'regressed', rounds: 5, seconds: 900 },
        ],
      },
      { strategy: 'batch', slowdownPercent: 10, injectNs: 100, trials: [{ exit: 3, verdict: 'regressed', rounds: 5, seconds: 10, measuredSlowdown: 0.11 }] },
    ],
  };
  const t = renderCalibrationTable(r);
  assert.match(t, /\| batch \| \+0 % \| 0 \| — \| 3 \| 2 \/ 1 \/ 0 \| false alarms 67 % \(2\/3\) \| 25 s \| 5 \|/);
  assert.match(t, /\| batch \| \+10 % \| 100 \| \+11\.0 % \| 1 \| 1 \/ 0 \/ 0 \| detected 100 % \(1\/1\) \| 10 s \(wait included\) \| 5 \|/);
  assert.match(t, /\*\*1–3 trials per cell, short of the 20 targeted\*\*/);
});

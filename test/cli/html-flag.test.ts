// run and sweep --html FILE: the one-result page, the same page `bpfbench
// report --html` makes of the JSON the command wrote.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fmtNsPerEntry } from '../../src/report/formats/format.js';
import { runCli } from '../helpers.js';

test('run --html writes the page report --html makes of its JSON', () => {
  const d = mkdtempSync(join(tmpdir(), 'bpfbench-html-'));
  try {
    const json = join(d, 'r.json');
    const html = join(d, 'r.html');
    const r = runCli(['run', '--entries', '64Ki', '--runs', '1', '--warmup', '0', '--json', json, '--html', html]);
    assert.equal(r.status, 0, r.stderr);
    const page = readFileSync(html, 'utf8');
    // The page `bpfbench report` makes of the JSON, a command of its own; and the JSON's figures are on it.
    const report = runCli(['report', json, '--html', '-']);
    assert.equal(report.status, 0, report.stderr);
    assert.equal(page, report.stdout);
    const j = JSON.parse(readFileSync(json, 'utf8'));
    for (const s of j.results) assert.ok(page.includes(`${fmtNsPerEntry(s.nsPerEntry)} ns`), `${s.label}: ${s.nsPerEntry} ns/entry on the page`);
    assert.ok(!/(src|href)="https?:/.test(page), 'nothing fetched from the network');
    const both = runCli(['run', '--entries', '4096', '--json', '-', '--html', '-']);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /--json and --html cannot both go to stdout/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('sweep --html writes the page of the sweep it wrote', () => {
  const d = mkdtempSync(join(tmpdir(), 'bpfbench-html-'));
  try {
    const html = join(d, 's.html');
    const r = runCli(['sweep', '--entries', '64Ki', '--chunks', '512,4096', '--runs', '1', '--warmup', '0', '--no-elem', '--out-dir', d, '--html', html]);
    assert.equal(r.status, 0, r.stderr);
    const base = /wrote (\S+)\.\{json,svg,md\}/.exec(r.stderr)![1]!;
    const json = `${base}.json`;
    const report = runCli(['report', json, '--html', '-']);
    assert.equal(report.status, 0, report.stderr);
    const page = readFileSync(html, 'utf8');
    assert.equal(page, report.stdout);
    // Its fitted model is drawn, with the JSON's coefficients in the caption.
    const j = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(page.match(/<path class="model"/g)?.length, j.fits.length);
    for (const f of j.fits) assert.ok(page.includes(`a = ${fmtNsPerEntry(f.perEntryNs)} ns per entry`), `fit ${f.perEntryNs}`);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

// The HTML report in a real browser: headless Chromium (Debian's `chromium`,
// installed by `make deps`) opens the page from disk with the network off.
// The page's own self-check (errors, blocked requests, console.error, the
// rendered size of every chart) is read back with --dump-dom; Chromium's own
// console log (stderr) must be silent; screenshots in the light and the dark
// theme must show the theme's background. A page with a script error and a
// remote image shows that these checks do fail when they should.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { test, type TestContext } from 'node:test';
import { htmlReport } from '../../src/report/html/page.js';
import { ROOT } from '../../src/paths.js';
import { requireTool, runCli } from '../helpers.js';

type Json = { [k: string]: any };

const CHROMIUM = 'chromium';
const available = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).status === 0;
/** Chromium missing: each test skips, except under CI=true or BPFBENCH_REQUIRE_ALL=1, where it fails naming it. */
const needChromium = (t: TestContext) => requireTool(t, 'chromium', available ? undefined : "not installed (make deps installs Debian's chromium)");

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
  '--enable-logging=stderr',
  '--v=0',
];
const DARK = '--blink-settings=preferredColorScheme=0';
const WIDTH = 1100;

const dir = mkdtempSync(join(tmpdir(), 'bpfbench-browser-'));

/** One Chromium run with a fresh profile; its output, and its console messages (from its own log). */
function chromium(args: string[], url: string): { stdout: string; console: string[] } {
  const profile = mkdtempSync(join(tmpdir(), 'bpfbench-chromium-'));
  try {
    const r = spawnSync(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, ...args, url], { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, `chromium: ${r.error ?? r.stderr}`);
    return { stdout: r.stdout, console: r.stderr.split('\n').filter((l) => /:CONSOLE[:(]/.test(l)) };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

interface SelfCheck {
  errors: string[];
  charts: { id: string; width: number; height: number; marks: number; models: { width: number; stroke: string; dash: string }[] }[];
  dark: boolean;
  background: string;
  color: string;
  fontFamily: string;
  width: number;
  height: number;
}

/** The page's self-check, from the DOM Chromium dumped after load. */
function selfCheck(file: string, dark = false): { check: SelfCheck; console: string[] } {
  const r = chromium(['--virtual-time-budget=5000', `--window-size=${WIDTH},900`, ...(dark ? [DARK] : []), '--dump-dom'], `file://${file}`);
  const m = /<pre id="selfcheck">([\s\S]*?)<\/pre>/.exec(r.stdout);
  assert.ok(m, 'the page has its self-check');
  assert.notEqual(m[1], '', 'the self-check ran (load fired)');
  const json = m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return { check: JSON.parse(json) as SelfCheck, console: r.console };
}

/** A PNG's size, and the colour of its top-left pixel (the first pixel of the first row is stored as is under every filter). */
function png(file: string): { width: number; height: number; topLeft: [number, number, number] } {
  const b = readFileSync(file);
  assert.equal(b.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'a PNG');
  const width = b.readUInt32BE(16);
  const height = b.readUInt32BE(20);
  assert.equal(b[24], 8, '8 bits per channel');
  assert.ok(b[25] === 2 || b[25] === 6, 'RGB or RGBA');
  const idat: Buffer[] = [];
  for (let at = 8; at < b.length; ) {
    const len = b.readUInt32BE(at);
    if (b.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(b.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  return { width, height, topLeft: [raw[1]!, raw[2]!, raw[3]!] };
}

const read = (f: string): Json => JSON.parse(readFileSync(join(ROOT, f), 'utf8'));

/** The committed results as they are: the runs carry per-call latency (a chart each), the sweep its fits[] (drawn as the model curve), so every kind of chart renders. */
function page(): string {
  const run1 = read('results/run-1Mi.json');
  const run4 = read('results/run-4Mi.json');
  const sweep = read('results/sweep-reference-1Mi-4Mi.json');
  return htmlReport([
    { file: 'results/run-1Mi.json', json: run1 },
    { file: 'results/run-4Mi.json', json: run4 },
    { file: 'results/peers-1Mi.json', json: read('results/peers-1Mi.json') },
    { file: 'results/sweep-reference-1Mi-4Mi.json', json: sweep },
  ]);
}

const file = join(dir, 'report.html');
let html = '';
/** The page's height in the light theme, as the first test measured it. */
let pageHeight = 0;

test('the page renders in Chromium from disk: no errors, no console output, every chart drawn at its size', (t) => {
  if (!needChromium(t)) return;
  html = page();
  writeFileSync(file, html);
  const ids = [...html.matchAll(/<svg class="chart" id="([^"]+)" viewBox="0 0 (\d+) (\d+)"/g)].map((m) => ({ id: m[1]!, ratio: Number(m[3]) / Number(m[2]) }));
  const latencyCharts = [read('results/run-1Mi.json'), read('results/run-4Mi.json')].filter((r) => r.results.some((x: Json) => x.callLatency)).length;
  assert.equal(latencyCharts, 2, 'both committed runs carry per-call latency');
  assert.equal(ids.length, 3 + latencyCharts, 'per entry, a latency chart per run, sweep, peers');
  for (const dark of [false, true]) {
    const { check, console } = selfCheck(file, dark);
    assert.deepEqual(check.errors, [], 'no script errors, failed loads, blocked requests or console.error');
    assert.deepEqual(console, [], 'Chromium logged no console message');
    assert.equal(check.dark, dark);
    if (!dark) pageHeight = check.height;
    assert.equal(check.background, dark ? 'rgb(22, 24, 28)' : 'rgb(255, 255, 255)');
    assert.equal(check.color, dark ? 'rgb(230, 231, 234)' : 'rgb(27, 29, 33)');
    assert.match(check.fontFamily, /^system-ui, /);
    assert.deepEqual(
      check.charts.map((c) => c.id),
      ids.map((c) => c.id),
    );
    for (const c of check.charts) {
      const want = ids.find((x) => x.id === c.id)!;
      assert.ok(c.width >= 600 && c.width <= WIDTH, `${c.id} is ${c.width} px wide`);
      assert.ok(Math.abs(c.height / c.width - want.ratio) < 0.02, `${c.id}: ${c.width}×${c.height} keeps its aspect ratio ${want.ratio.toFixed(3)}`);
      assert.ok(c.marks > 5, `${c.id} has marks`);
    }
    // The sweep's fitted model (fits[] of the committed sweep): one dotted curve per size, drawn across the chart.
    const models = check.charts.flatMap((c) => c.models);
    assert.equal(models.length, read('results/sweep-reference-1Mi-4Mi.json').fits.length, 'a model curve per fit');
    for (const m of models) {
      assert.ok(m.width > 300, `the model curve spans the chunks: ${m.width} px wide`);
      assert.notEqual(m.stroke, 'none');
      assert.notEqual(m.dash, 'none', 'dotted');
    }
  }
});

test("screenshots, light and dark: the whole page, on the theme's background", (t) => {
  if (!needChromium(t)) return;
  if (!html) {
    html = page();
    writeFileSync(file, html);
  }
  const height = Math.min(pageHeight || selfCheck(file).check.height, 16000);
  for (const [theme, bg] of [
    ['light', [255, 255, 255]],
    ['dark', [22, 24, 28]],
  ] as const) {
    const out = join(dir, `report-${theme}.png`);
    chromium([`--window-size=${WIDTH},${height}`, `--screenshot=${out}`, ...(theme === 'dark' ? [DARK] : [])], `file://${file}`);
    const p = png(out);
    assert.equal(p.width, WIDTH);
    assert.equal(p.height, height);
    assert.deepEqual(p.topLeft, bg, `${theme}: the page background in the corner`);
    assert.ok(readFileSync(out).length > 100_000, `${theme}: a page's worth of pixels`);
    t.diagnostic(`${theme} screenshot: ${out}`);
  }
});

test('the page `bpfbench peers --html` writes renders from disk: no errors, no console output, the peers chart at its size', (t) => {
  if (!needChromium(t)) return;
  const out = join(dir, 'peers.html');
  const r = runCli(['peers', '--entries', '16Ki', '--rounds', '1', '--strategies', 'elem,batch', '--html', out]);
  assert.equal(r.status, 0, r.stderr);
  const { check, console } = selfCheck(out);
  assert.deepEqual(check.errors, []);
  assert.deepEqual(console, []);
  assert.deepEqual(
    check.charts.map((c) => c.id),
    ['chart-1'],
    'one chart: the peers',
  );
  const c = check.charts[0]!;
  const [, w, h] = /<svg class="chart" id="chart-1" viewBox="0 0 (\d+) (\d+)"/.exec(readFileSync(out, 'utf8'))!;
  assert.ok(c.width >= 600 && c.width <= WIDTH, `${c.width} px wide`);
  assert.ok(Math.abs(c.height / c.width - Number(h) / Number(w)) < 0.02, `${c.width}×${c.height} keeps its aspect ratio`);
  assert.ok(c.marks > 5, 'bars drawn');
});

test('the checks fail when they should: a script error and a remote image are caught, by the page and by Chromium', (t) => {
  if (!needChromium(t)) return;
  const broken = join(dir, 'broken.html');
  writeFileSync(broken, (html || page()).replace('<main>', '<main><img src="https://example.invalid/x.png" alt=""><script>undefinedFunction();</script>'));
  const { check, console } = selfCheck(broken);
  assert.ok(
    check.errors.some((e) => /^blocked https:\/\/example\.invalid\/x\.png/.test(e)),
    `CSP blocked the fetch: ${JSON.stringify(check.errors)}`,
  );
  assert.ok(
    check.errors.some((e) => /undefinedFunction is not defined/.test(e)),
    JSON.stringify(check.errors),
  );
  assert.ok(
    console.some((l) => /undefinedFunction is not defined/.test(l)),
    console.join('\n'),
  );
  assert.ok(
    console.some((l) => /violates the following Content Security Policy/.test(l)),
    console.join('\n'),
  );
});

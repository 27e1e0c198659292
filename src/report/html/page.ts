// One self-contained HTML page from any mix of run, sweep and peers results:
// the headline speedup with its interval, ns/entry per strategy with
// whiskers, per-call latency where results carry it, the chunk sweep, the
// peers against the C floor, the merged multi-machine table, and every
// figure's source file and configuration. Inline CSS, SVG and one small
// script (the page's self-check); nothing is fetched, and a Content-Security-
// Policy makes sure of it. A pure function of the results: same input, same page.
// The parts: html/run-figures.ts, html/sweep-figure.ts, html/peers-figure.ts,
// html/tables.ts; the charts in html/charts.ts, the style in html/style.ts.
import { esc } from '../formats/format.js';
import { TOOL } from '../../paths.js';
import { machineKey, machineOf } from '../analysis/configuration.js';
import { mergeResults } from '../analysis/fleet.js';
import { Figures, plural, type Peers, type Run, type Sweep } from './figure.js';
import { peersFigure } from './peers-figure.js';
import { sizeFigure } from './size-figure.js';
import { headlineCard, latencyFigure, runsFigure } from './run-figures.js';
import { CSP, SELF_CHECK, STYLE } from './style.js';
import { sweepFigure } from './sweep-figure.js';
import { fleetSection, sourcesSection } from './tables.js';
import { checkResult, REPORT_KINDS, type LoadedResult, type ResultFile } from '../schema/index.js';

/** The page for results already checked (checkResult). */
export function htmlPage(results: LoadedResult[]): string {
  const runs = results.filter((r): r is Run => r.kind === 'run');
  const sweeps = results.filter((r): r is Sweep => r.kind === 'sweep');
  const peers = results.filter((r): r is Peers => r.kind === 'peers');
  const fleet = mergeResults(results);
  const machines = new Set(results.map((r) => machineKey(machineOf(r)))).size;
  const body: string[] = [];
  const kinds = [
    ['run', runs.length],
    ['sweep', sweeps.length],
    ['peers', peers.length],
  ]
    .filter(([, n]) => n)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  body.push(`<header>\n<h1>Reading eBPF maps from user space</h1>`);
  body.push(
    `<p class="lede">How long user space takes to read every entry of a BPF map: per element (GET_NEXT_KEY + LOOKUP_ELEM, 2N+1 system calls) or in batches (BPF_MAP_LOOKUP_BATCH), every read verified, on the real kernel.</p>`,
  );
  body.push(`<p class="meta">${esc(plural(results.length, 'result'))} (${esc(kinds)}) from ${esc(plural(machines, 'machine'))}, measured by bpfbench.</p>\n</header>`);

  const cards = runs.map(headlineCard).filter((c): c is string => c !== null);
  if (cards.length) body.push(`<section id="headline"><div class="headline">\n${cards.join('\n')}\n</div></section>`);

  const figs = new Figures();
  if (runs.length) {
    runsFigure(figs, runs, figs.nextId());
    body.push(
      `<section id="per-entry"><h2>Time per entry</h2><p>Every strategy reads the same map and is verified against what was written; the time is the wall time of a whole read.</p>\n${figs.take()}</section>`,
    );
    let latency = false;
    for (const r of runs) latency = latencyFigure(figs, r) || latency;
    if (latency)
      body.push(
        `<section id="latency"><h2>Time per call</h2><p>Each read is many bpf(2) calls; their distribution shows the cost of one crossing and how far the slowest calls stray from it.</p>\n${figs.take()}</section>`,
      );
  }
  if (sweeps.length) {
    for (const r of sweeps) sweepFigure(figs, r, figs.nextId());
    body.push(
      `<section id="sweep"><h2>How large a batch?</h2><p>A batch call pays for one crossing into the kernel and copies up to a chunk of entries; the curves show where a larger chunk stops paying off.</p>\n${figs.take()}</section>`,
    );
  }
  if (peers.length) {
    for (const r of peers) peersFigure(figs, r, figs.nextId());
    sizeFigure(figs, peers, figs.nextId());
    body.push(
      `<section id="peers"><h2>Against other implementations</h2><p>The same pinned map read by bpfbench and by C (raw syscalls, the floor), Go (cilium/ebpf) and bpftool, in alternation.</p>\n${figs.take()}</section>`,
    );
  }
  body.push(`<section id="merged"><h2>All results, by configuration</h2>\n${fleetSection(fleet)}</section>`);
  body.push(`<section id="sources"><h2>Sources</h2><p>Every figure above names its file; these are the files, and where they were measured.</p>\n${sourcesSection(results)}</section>`);
  body.push(
    `<footer>Made by ${esc(`${TOOL.name} ${TOOL.version}`)} from ${esc(results.map((r) => r.file).join(', '))}. One self-contained file: no fonts, scripts or images from the network.</footer>`,
  );

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="${esc(`${TOOL.name} ${TOOL.version}`)}">
<title>bpfbench: ${esc(fleet.tables.map((t) => t.title).join('; '))}</title>
<script>${SELF_CHECK}</script>
<style>${STYLE}</style>
</head>
<body>
<main>
${body.join('\n')}
</main>
<pre id="selfcheck"></pre>
</body>
</html>
`;
}

/**
 * The page for result files as read (`{file, json}`: json as parsed, or a
 * result object a command just built); each is checked against the JSON
 * contract first (an InvalidInputError names the file and the field).
 */
export function htmlReport(results: ResultFile[]): string {
  return htmlPage(results.map((r) => checkResult(r.file, r.json, REPORT_KINDS)));
}

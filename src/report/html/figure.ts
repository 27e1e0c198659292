// The report page's figures: numbered through the page, each an SVG with a
// caption that ends on its source (file, configuration, machine) and any
// caveats. Pure functions returning HTML strings.
import { configTitle, cpuLabel, loopOf, machineOf, runConfiguration } from '../analysis/configuration.js';
import { esc, fmtInt } from '../formats/format.js';
import type { LoadedResult } from '../schema/index.js';

export type Run = Extract<LoadedResult, { kind: 'run' }>;
export type Sweep = Extract<LoadedResult, { kind: 'sweep' }>;
export type Peers = Extract<LoadedResult, { kind: 'peers' }>;

export const plural = (n: number, word: string) => `${fmtInt(n)} ${word}${n === 1 ? '' : 's'}`;
export const code = (s: string) => `<code>${esc(s)}</code>`;

/** `AMD EPYC ×2 · Linux 6.18.44`: where a result was measured. */
export function whereMeasured(r: LoadedResult): string {
  const m = machineOf(r);
  return `${cpuLabel(m)} · Linux ${m.kernel}`;
}

/** The configuration line under a figure: what, how, where, from which file. */
export function sourceLine(r: LoadedResult, what: string): string {
  return `<span class="source">Source: ${code(r.file)} · ${esc(what)} · ${esc(whereMeasured(r))}</span>`;
}

/** What a run measured: the map, the chunk, the fill, the loop, the runs. */
export function runWhat(r: Run): string {
  const c = r.json.config;
  const runs = [...new Set(r.json.results.map((s) => s.runs))].join('/');
  return `${configTitle(runConfiguration(r.json))}, chunk ${fmtInt(c.chunk)}, fill ${c.fill}, loop ${loopOf(r)}, ${runs} run${runs === '1' ? '' : 's'} per strategy`;
}

/** The page's figures, numbered through the page; each section takes the ones added since the last. */
export class Figures {
  private n = 0;
  private html: string[] = [];
  private chart = 0;

  /** A fresh id for the next chart: `chart-1`, `chart-2`, … */
  nextId(): string {
    return `chart-${++this.chart}`;
  }

  take(): string {
    const out = this.html.join('\n');
    this.html = [];
    return out;
  }

  add(svg: string, title: string, caption: string, source: string, caveats: string[] = []): void {
    this.n++;
    const list = caveats.length ? `<ul class="caveats">${caveats.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '';
    this.html.push(`<figure id="figure-${this.n}">\n${svg}\n<figcaption><strong>Figure ${this.n}. ${esc(title)}.</strong> ${caption} ${source}${list}</figcaption>\n</figure>`);
  }
}

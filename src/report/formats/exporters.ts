// Every format bpfbench writes a document in, one exporter each behind one
// interface, as hyperfine keeps its exporters: JSON, HTML, Markdown, CSV,
// github-action-benchmark and the sweep's SVG chart. An exporter says which
// kinds of document it renders; the output stage (src/cli/output.ts) asks
// this registry, and no command renders a file by itself. Pure functions
// returning strings.
import { toCsv, toGab, toMarkdown } from './export.js';
import { fleetMarkdown } from '../rendering/fleet-render.js';
import { mergeResults } from '../analysis/fleet.js';
import { htmlPage, htmlReport } from '../html/page.js';
import { sweepMarkdown } from '../analysis/sweep-result.js';
import { sweepChart } from '../rendering/svg.js';
import type { LoadedResult } from '../schema/index.js';

/** The formats, as a command declares the outputs it can make. */
export const FORMATS = ['json', 'html', 'markdown', 'csv', 'gab', 'svg'] as const;
export type Format = (typeof FORMATS)[number];

/**
 * What is written: a run, sweep or peers result a command made (`file`:
 * what the HTML page names as its source), the results `report` merges, or
 * another JSON document (a comparison, a reproduction, a map's info).
 */
export type Document = LoadedResult | { kind: 'report'; results: LoadedResult[] } | { kind: 'data'; json: unknown };
export type DocumentKind = Document['kind'];

type Renderers = { [K in DocumentKind]?: (doc: Extract<Document, { kind: K }>) => string };

/** One format: what it is called, and how it renders each kind of document it can. */
export interface Exporter {
  format: Format;
  /** In help and errors: `Markdown`, `github-action-benchmark JSON`. */
  title: string;
  render: Renderers;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const html = (d: LoadedResult) => htmlReport([{ file: d.file, json: d.json }]);

/** The registry: one exporter per format. */
export const EXPORTERS: Record<Format, Exporter> = {
  json: { format: 'json', title: 'JSON', render: { run: (d) => json(d.json), sweep: (d) => json(d.json), peers: (d) => json(d.json), data: (d) => json(d.json) } },
  html: { format: 'html', title: 'HTML', render: { run: html, sweep: html, peers: html, report: (d) => htmlPage(d.results) } },
  markdown: { format: 'markdown', title: 'Markdown', render: { run: (d) => toMarkdown(d.json), sweep: (d) => sweepMarkdown(d.json), report: (d) => fleetMarkdown(mergeResults(d.results)) } },
  csv: { format: 'csv', title: 'CSV', render: { run: (d) => toCsv(d.json) } },
  gab: { format: 'gab', title: 'github-action-benchmark JSON', render: { run: (d) => json(toGab(d.json)) } },
  svg: { format: 'svg', title: 'SVG', render: { sweep: (d) => sweepChart(d.json) } },
};

/** Whether `format` renders a document of `kind`. */
export const canRender = (format: Format, kind: DocumentKind): boolean => EXPORTERS[format].render[kind] !== undefined;

/** `doc` in `format`; a format that cannot render its kind is a programming error (a command declared an output it cannot make). */
export function renderDocument(format: Format, doc: Document): string {
  const render = EXPORTERS[format].render[doc.kind] as ((d: Document) => string) | undefined;
  if (!render) throw new Error(`${EXPORTERS[format].title} cannot render a ${doc.kind} document`);
  return render(doc);
}

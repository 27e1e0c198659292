// The report page's tables: the merged comparison (a table per
// configuration, a column per result) and the sources (every file, where
// and by what it was made). Pure functions returning HTML.
import { cpuLabel, loopOf, machineOf } from '../analysis/configuration.js';
import { anyExpectedFailure, cellFailed, cellFigures, columnHead, figureNames } from '../rendering/fleet-render.js';
import type { Fleet, FleetTable } from '../analysis/fleet.js';
import { entriesLabel, esc, fmtBytes, fmtInt, injectText, machineText } from '../formats/format.js';
import { IMPL_LABEL } from '../rendering/peers-table.js';
import type { LoadedResult } from '../schema/index.js';
import { code, runWhat } from './figure.js';

function fleetTableHtml(t: FleetTable): string {
  const names = figureNames(t);
  const k = names.length;
  const head1 = t.columns.map((c) => {
    const [file, kernel, cpu, loop] = columnHead(c);
    return `<th class="col" colspan="${k}" scope="colgroup">${code(file!)}<br>${esc(kernel!)}<br>${esc(cpu!)}<br>${esc(loop!)}</th>`;
  });
  const head2 = t.columns.flatMap(() => names.map((n, i) => `<th scope="col"${i === 0 ? ' class="first"' : ''}>${esc(n)}</th>`));
  const rows = t.rows.map((r) => {
    const cells = r.cells.flatMap((cell) => {
      if (!cell) return [`<td class="first missing" colspan="${k}">—</td>`];
      const failed = cellFailed(cell);
      if (failed) return [`<td class="first failed" colspan="${k}">${failed}</td>`];
      return cellFigures(t, cell).map((x, i) => `<td${i === 0 ? ' class="first"' : ''}>${esc(x)}</td>`);
    });
    return `<tr><th scope="row">${esc(r.label)}</th>${cells.join('')}</tr>`;
  });
  return `<div class="table-wrap"><table>\n<caption>${esc(t.title)}</caption>\n<thead><tr><th rowspan="2" scope="col">strategy</th>${head1.join('')}</tr><tr>${head2.join('')}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

/** Every configuration's table, and the pairs that cannot be compared. */
export function fleetSection(f: Fleet): string {
  const out: string[] = [];
  out.push(
    `<p>One table per configuration (what the kernel walks: map type, key and value size, entries, max_entries, map_flags; and whether bpfbench or every peer read it). A column per result: its file, kernel, CPU and read loop. ns/entry is the median; “× elem” is the median elem time over the row’s, within one result (peers: the same implementation); “× C” is the peers’ ratio to C.</p>`,
  );
  for (const t of f.tables) out.push(fleetTableHtml(t));
  if (anyExpectedFailure(f)) out.push('<p class="meta">FAILED*: the published loop, whose failed verification is expected.</p>');
  if (f.incomparable.length) {
    out.push('<h3>Not compared</h3>', `<ul class="plain">${f.incomparable.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`);
  }
  return out.join('\n');
}

/** What a result measured, in one line for the sources. */
function measured(r: LoadedResult): string {
  if (r.kind === 'run') return runWhat(r);
  if (r.kind === 'sweep') {
    const c = r.json.config;
    return `sweep: ${c.mapType}, ${c.entries.map(entriesLabel).join(' and ')} entries, chunks ${c.chunks.map((x) => x.toLocaleString('en-US')).join(', ')}, loop ${loopOf(r)}`;
  }
  const c = r.json.config;
  return `peers: ${c.impls.map((i) => IMPL_LABEL[i] ?? i).join(', ')}; ${fmtInt(c.entries)} entries, chunk ${fmtInt(c.chunk)}`;
}

/** Each file: what it measured, when and by what it was made, on which machine. */
export function sourcesSection(results: LoadedResult[]): string {
  return results
    .map((r) => {
      const c = r.json.context;
      const made = `${r.kind} result, made ${r.json.createdAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} by ${r.json.tool.name} ${r.json.tool.version}`;
      const machine = `Linux ${c.kernel} · ${cpuLabel(machineOf(r))} · ${fmtBytes(c.memTotalBytes)} · node ${c.node} · koffi ${c.koffi} · libbpf ${c.libbpf}`;
      const facts = [machineText(c), injectText(c)]
        .filter((x) => x !== null)
        .map((x) => `<br>${esc(x)}`)
        .join('');
      return `<div class="source-item"><h3>${code(r.file)}</h3><p>${esc(measured(r))}</p><p class="meta">${esc(made)}<br>${esc(machine)}${facts}</p></div>`;
    })
    .join('\n');
}

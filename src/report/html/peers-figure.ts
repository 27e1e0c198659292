// The report page's peers result: a panel per strategy, a bar per
// implementation (bpfbench's once per read loop) against the C floor, and
// each row's bpf calls of one read as the kernel counted them. A pure
// function returning HTML.
import { peerRowName } from '../analysis/fleet.js';
import { entriesLabel, esc, fmtInt, fmtNsPerEntry, fmtRatio } from '../formats/format.js';
import { IMPL_LABEL, peersStrategyLabel } from '../rendering/peers-table.js';
import type { PeerCellJson, PeersResultJson } from '../result/peers-result.js';
import { peerCalls, type PeerCalls } from '../schema/index.js';
import { barsSvg, type Bar, type BarPanel } from './charts.js';
import { plural, sourceLine, type Figures, type Peers } from './figure.js';

/** C, the floor, in the text colour; the others in colours of their own. */
const IMPL_COLOR: Record<string, number> = { c: 6, ts: 0, go: 2, bpftool: 3, bcc: 4 };
/** The named implementations in IMPL_LABEL's order, then exec: readers. */
const implOrder = (impl: string) => (impl in IMPL_LABEL ? Object.keys(IMPL_LABEL).indexOf(impl) : 99);

/** `16,385 GET_NEXT_KEY + 16,384 LOOKUP_ELEM` (commands by name, so equal counts read alike), and whose calls they are when they cover a whole process. */
function callsWords(n: PeerCalls): string {
  const calls =
    Object.entries(n.calls)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([cmd, k]) => `${fmtInt(k)} ${cmd}`)
      .join(' + ') || 'no bpf call';
  return n.covers === 'process' ? `${calls} in its whole process` : calls;
}

/** The tooltip's count: `bpf calls of one read, counted by the kernel: …`. */
function callsTooltip(x: PeerCellJson): string {
  const n = peerCalls(x.bpfCalls);
  if (!n) return '';
  return `; bpf calls of one read${n.countedBy ? `, counted by the ${n.countedBy}` : ''}: ${callsWords(n)}`;
}

/** Per strategy, the kernel's count of one read: the same for every implementation, or grouped by what each made. */
function kernelCallsText(j: PeersResultJson): string {
  const parts: string[] = [];
  for (const strategy of j.config.strategies) {
    const rows = j.results.filter((y) => y.strategy === strategy);
    const groups = new Map<string, string[]>();
    for (const x of rows) {
      const n = peerCalls(x.bpfCalls);
      if (n?.countedBy !== 'kernel') continue;
      const words = callsWords(n);
      groups.set(words, [...(groups.get(words) ?? []), peerRowName(x.impl, x.loop)]);
    }
    if (!groups.size) continue;
    const every = groups.size === 1 && [...groups.values()][0]!.length === rows.length && rows.length > 1;
    const list = [...groups].map(([words, who]) => (every ? `${words}, every implementation` : `${words} (${who.join(' · ')})`));
    parts.push(`${peersStrategyLabel(strategy, j.config.chunk)}: ${list.join('; ')}`);
  }
  return parts.length ? ` The bpf calls of one untimed read, counted by the kernel: ${esc(parts.join('. '))}.` : '';
}

export function peersFigure(figs: Figures, r: Peers, id: string): void {
  const j: PeersResultJson = r.json;
  const panels: BarPanel[] = [];
  // exec: readers without {strategy} read their own way: a panel of their own.
  const strategies = [...j.config.strategies, ...(j.results.some((x) => x.strategy === 'own') ? ['own'] : [])];
  for (const strategy of strategies) {
    const cells = j.results.filter((x) => x.strategy === strategy).sort((a, b) => implOrder(a.impl) - implOrder(b.impl));
    if (!cells.length) continue;
    const c = cells.find((x) => x.impl === 'c');
    const bars = cells.map((x): Bar => {
      const n = Math.max(1, x.verified.entries);
      // A failed row timed nothing: an empty bar that says why.
      const ns = x.nsPerEntry ?? 0;
      const note = x.error
        ? `failed: ${x.error}`
        : !x.verified.ok
          ? `wrong read: ${fmtInt(x.verified.distinct)} distinct keys`
          : x.impl === 'c'
            ? 'the floor'
            : x.ratioToC === null
              ? ''
              : `${fmtRatio(x.ratioToC)} C`;
      return {
        label: peerRowName(x.impl, x.loop),
        value: ns,
        lo: x.wallNs ? x.wallNs.min / n : 0,
        hi: x.wallNs ? x.wallNs.max / n : 0,
        color: IMPL_COLOR[x.impl] ?? 7,
        valueText: x.nsPerEntry === null ? 'no read' : `${fmtNsPerEntry(x.nsPerEntry)} ns`,
        note,
        failed: !x.verified.ok,
        tooltip: `${peerRowName(x.impl, x.loop)}, ${peersStrategyLabel(x.strategy, x.chunk ?? j.config.chunk)}: median ${fmtNsPerEntry(ns)} ns/entry over ${plural(x.runs, 'round')}${x.verified.ok ? '' : ` — failed verification: ${x.verified.problems.join('; ')}`}${callsTooltip(x)}`,
      };
    });
    const panel: BarPanel = { title: peersStrategyLabel(strategy, j.config.chunk), bars };
    if (c?.nsPerEntry) panel.floor = { value: c.nsPerEntry, label: `C, raw syscalls: ${fmtNsPerEntry(c.nsPerEntry)} ns/entry, the floor` };
    panels.push(panel);
  }
  if (!panels.length) return;
  const svg = barsSvg(id, `Nanoseconds per entry by implementation and strategy, ${fmtInt(j.config.entries)} entries`, panels, 'ns per entry (median)');
  const rounds = [...new Set(j.results.map((x) => x.runs))].join('/');
  const loops = j.config.loops?.length ? `, bpfbench's read loop ${j.config.loops.join(' and ')}` : '';
  const what = `peers: hash u32→u32, ${fmtInt(j.config.entries)} entries (${entriesLabel(j.config.entries)}), one pinned map, chunk ${fmtInt(j.config.chunk)}, fill ${j.config.fill}${loops}, ${rounds} rounds in alternation`;
  const caveats = j.skipped.map((s) => `skipped ${IMPL_LABEL[s.impl] ?? s.impl}: ${s.why}`);
  const expected = j.results.some((x) => !x.verified.ok && x.verified.expectedToFail) ? ' Hollow bars: the published loop, which re-reads the first buckets; its read is wrong by design.' : '';
  figs.add(
    svg,
    `bpfbench against other implementations`,
    `Each panel has its own scale. Bars: the median of the rounds; whiskers: the fastest to the slowest round. Dashed line: C with raw syscalls, the floor; “× C”: median time over C’s, same strategy. bpftool is timed as a whole process (start-up and text output included).${expected}${kernelCallsText(j)}`,
    sourceLine(r, what),
    caveats,
  );
}

// One-line reports of `load` and `info`, and `info --kernel`'s table.
import Table from 'cli-table3';
import type { KernelFacts } from '../../bpf/programs/feature-probes.js';
import type { MapInfoData } from '../../bpf/maps/map.js';
import { paint } from '../formats/color.js';
import type { FillResult } from '../../harness/filling/fill.js';
import type { MapRecord } from '../../harness/filling/bench-map.js';
import { fmtBytes, fmtDuration } from '../formats/format.js';

const fmt = (n: number) => n.toLocaleString('en-US');

export function renderMapInfo(i: MapInfoData, memlockBytes: number | undefined, pin?: string): string {
  return (
    `map ${i.id} ${i.name ? `'${i.name}' ` : ''}${pin ? `(${pin}) ` : ''}: type ${i.typeName}, key ${i.keySize} B, value ${i.valueSize} B, ` +
    `max_entries ${fmt(i.maxEntries)}, flags 0x${i.flags.toString(16)}, memlock ${memlockBytes === undefined ? 'unknown' : fmtBytes(memlockBytes)}`
  );
}

export function renderLoaded(pin: string, r: MapRecord, entries: number, fill: FillResult): string {
  return (
    `pinned ${pin}: ${r.type}, key ${r.keySize} B, value ${r.valueSize} B, ${fmt(entries)} entries of max_entries ${fmt(r.maxEntries)}, map id ${r.id}; ` +
    `created in ${fmtDuration(r.createNs)}, filled by ${fill.method} in ${fmtDuration(fill.wallNs)}\n` +
    `read it: bpfbench run --pin ${pin}   remove it: bpfbench unload --pin ${pin}`
  );
}

/**
 * `bpfbench info --kernel`: what this kernel allows, one row per feature,
 * with the errno and one line of why for each one it does not; the lockdown
 * mode first, since it is often the why.
 */
export function renderKernelFacts(f: KernelFacts, opts: { color: boolean } = { color: false }): string {
  const c = paint(opts.color);
  const t = new Table({ head: ['feature', 'state', 'errno', 'why'], style: { head: [], border: [], compact: true } });
  t.push(['kernel', f.release, '', ''], ['lockdown', f.lockdown ?? 'unknown', '', c.dim(f.lockdownSource)]);
  for (const r of f.features) {
    const state = r.state === 'available' ? c.green('available') : r.state === 'refused' ? c.red('refused') : c.yellow(r.state);
    t.push([r.feature, state, r.errno ?? '', r.why ?? '']);
  }
  const lines = [t.toString()];
  if (f.objectError) lines.push(c.yellow(`the object ${f.object} could not be opened, so its programs are not probed: ${f.objectError}`));
  const off = f.features.filter((r) => r.state !== 'available');
  lines.push(
    off.length ? `${f.features.length - off.length} of ${f.features.length} available; not: ${off.map((r) => `${r.id} (${r.state}, ${r.errno})`).join(', ')}` : `all ${f.features.length} available`,
  );
  return lines.join('\n');
}

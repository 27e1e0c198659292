// bpfbench load: create and fill the map as `run` does, pin it, and exit.
import type { Command } from 'commander';
import { DEFAULT_PIN, preparePinPath } from '../../bpf/maps/bpffs.js';
import type { FillMethod } from '../../harness/filling/fill.js';
import { openBenchMap } from '../../harness/filling/bench-map.js';
import { renderLoaded } from '../../report/rendering/info-report.js';
import { EXIT_OK } from '../exit.js';
import type { CommandContext, Io } from '../io.js';
import { maxEntriesOf, resolveFill } from '../measured-run.js';
import { addOptions, entriesOption, fillOption, mapFlagsOption, mapShapeOptions, maxEntriesOption, pinOption, type MapShapeFlags } from '../options.js';
import { finishOptions } from '../output-options.js';
import { cliProgress } from '../terminal-progress.js';

interface LoadFlags extends MapShapeFlags {
  entries: number;
  maxEntries?: number;
  mapFlags: number;
  fill: FillMethod | 'auto';
  pin: string;
}

function loadAction(flags: LoadFlags, io: Io): number {
  const maxEntries = maxEntriesOf(flags);
  preparePinPath(flags.pin);
  const bench = openBenchMap(
    { mapType: flags.mapType, keySize: flags.keySize, valueSize: flags.valueSize, entries: flags.entries, maxEntries, fill: resolveFill(flags), mapFlags: flags.mapFlags, kernelCount: false },
    cliProgress(io.stderr),
  );
  try {
    bench.map.pin(flags.pin);
  } finally {
    bench.close();
  }
  io.stdout.write(`${renderLoaded(flags.pin, bench.record, flags.entries, bench.fill!)}\n`);
  return EXIT_OK;
}

export function addLoadCommand(program: Command, ctx: CommandContext): Command {
  const cmd = program.command('load').description('create and fill the map (as `run` does), pin it, and exit; `run --pin` reads it, `unload` removes it');
  addOptions(
    cmd,
    ...mapShapeOptions(),
    entriesOption('entries to write'),
    maxEntriesOption(),
    mapFlagsOption('map_flags: zero_seed, no_prealloc or a number'),
    fillOption('prog, batch, elem or auto'),
    pinOption('where to pin it (under /sys/fs/bpf; bpffs is mounted when missing)', DEFAULT_PIN),
  );
  return finishOptions(cmd).action((flags: LoadFlags) => ctx.exit(loadAction(flags, ctx.io)));
}

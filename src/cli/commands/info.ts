// bpfbench info: a map's type, sizes, max_entries, flags and kernel memory.
import { Option, type Command } from 'commander';
import { BpfMap } from '../../bpf/maps/map.js';
import { InvalidInputError } from '../../errors.js';
import { kernelFacts } from '../../bpf/programs/features.js';
import { checkPrivilege } from '../../harness/filling/preflight.js';
import { renderKernelFacts, renderMapInfo } from '../../report/rendering/info-report.js';
import { EXIT_OK } from '../exit.js';
import { useColor, type CommandContext, type Io } from '../io.js';
import { addOptions, GROUP, mapIdOption, objectOption, pinOption } from '../options.js';
import { finishOptions, OUTPUT } from '../output-options.js';
import { declareOutputs, openOutputs, outputOptions, type OutputStage } from '../output.js';

/** What info can write: the map's or the kernel's facts as JSON; a bare --json means stdout. */
const OUTPUTS = declareOutputs('data', OUTPUT.jsonToStdout());

interface InfoFlags {
  pin?: string;
  mapId?: number;
  kernel: boolean;
  object?: string;
  json?: string | true;
  color: boolean;
}

/** --kernel: every feature probed, the table (or --json). */
function kernelAction(flags: InfoFlags, io: Io, out: OutputStage): number {
  if (flags.pin !== undefined || flags.mapId !== undefined) throw new InvalidInputError('--kernel describes the kernel, not a map: drop --pin/--map-id');
  checkPrivilege();
  const facts = kernelFacts(flags.object);
  if (flags.json !== undefined) out.write({ kind: 'data', json: facts });
  else io.stdout.write(`${renderKernelFacts(facts, { color: useColor(flags, io, io.stdout) })}\n`);
  return EXIT_OK;
}

function infoAction(flags: InfoFlags, io: Io): number {
  const out = openOutputs(OUTPUTS, flags, io);
  if (flags.kernel) return kernelAction(flags, io, out);
  if ((flags.pin === undefined) === (flags.mapId === undefined)) throw new InvalidInputError('info needs one of --pin PATH or --map-id ID, or --kernel');
  const map = flags.pin !== undefined ? BpfMap.openPinned(flags.pin) : BpfMap.openById(flags.mapId!);
  try {
    const i = map.info;
    const memlock = map.memlockBytes();
    if (flags.json !== undefined) {
      out.write({ kind: 'data', json: { ...i, memlockBytes: memlock ?? null, pin: flags.pin ?? null } });
    } else {
      io.stdout.write(`${renderMapInfo(i, memlock, flags.pin)}\n`);
    }
  } finally {
    map.close();
  }
  return EXIT_OK;
}

export function addInfoCommand(program: Command, ctx: CommandContext): Command {
  const cmd = program.command('info').description("a map's type, key and value sizes, max_entries, flags and kernel memory; or (--kernel) what this kernel allows");
  // A bare --json is stdout (it was a switch); --json FILE writes the file, as the measuring commands do.
  addOptions(
    cmd,
    pinOption('a pinned map'),
    mapIdOption('a map id'),
    new Option('--kernel', "what this kernel allows: each program of the BPF object loaded on its own, the counter's raw tracepoints, the batch and delete commands, and the lockdown mode")
      .default(false)
      .helpGroup(GROUP.map),
    objectOption(),
    ...outputOptions(OUTPUTS),
  );
  return finishOptions(cmd).action((flags: InfoFlags) => ctx.exit(infoAction(flags, ctx.io)));
}

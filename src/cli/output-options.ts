// The output options the commands share: where results go (--json and the
// registry's other formats, declared once in OUTPUT for the output stage,
// output.ts) and how they look (--verbose, --no-color, --debug, --help).
import type { Option, Command } from 'commander';
import type { Format } from '../report/formats/exporters.js';
import { SCHEMA_VERSION } from '../report/result/strategy-json.js';
import { GROUP, opt } from './options.js';

export interface OutputFlags {
  json?: string;
  color: boolean;
  debug: boolean;
}

export const RESULT_JSON_HELP = `write the result as JSON (schemaVersion ${SCHEMA_VERSION}) to a file, or '-' for stdout`;
export const verboseOption = () => opt(GROUP.output, '-v, --verbose', 'a second table with every figure: CPU, syscalls by command (self and kernel), memory').default(false);
const colorOption = () => opt(GROUP.output, '--no-color', 'no colours (NO_COLOR is honoured too)');
export const debugOption = () => opt(GROUP.output, '--debug', 'show stack traces of errors').default(false);
/** The built-in -h, --help, listed with the output options. */
export const helpOption = () => opt(GROUP.output, '-h, --help', 'display help for command');

export interface ExportFlags {
  html?: string;
  exportMarkdown?: string;
  exportCsv?: string;
  exportGab?: string;
}

/**
 * One output a command can make (src/cli/output.ts declareOutputs): the
 * option naming its destination, and the format written there.
 */
export interface OutputSpec {
  /** commander's flags: `--json <file>`; `--json [file]` when a bare flag means stdout. */
  flags: string;
  format: Format;
  description: string;
}

/** Every output option, made here once; a command picks those it can make. */
export const OUTPUT = {
  json: (description = RESULT_JSON_HELP): OutputSpec => ({ flags: '--json <file>', format: 'json', description }),
  /** The result as the one-page report `bpfbench report --html` makes of it. */
  html: (description = "the result as one self-contained HTML page (as `bpfbench report --html` makes it), or '-' for stdout"): OutputSpec => ({ flags: '--html <file>', format: 'html', description }),
  /** info: a bare --json is stdout, as it was when it was a switch. */
  jsonToStdout: (description = 'as JSON: to stdout, or to a file'): OutputSpec => ({ flags: '--json [file]', format: 'json', description }),
  markdown: (description: string): OutputSpec => ({ flags: '--markdown <file>', format: 'markdown', description }),
  exportMarkdown: (): OutputSpec => ({ flags: '--export-markdown <file>', format: 'markdown', description: "the result as a Markdown table ('-' for stdout)" }),
  exportCsv: (): OutputSpec => ({ flags: '--export-csv <file>', format: 'csv', description: "the result as CSV ('-' for stdout)" }),
  exportGab: (): OutputSpec => ({ flags: '--export-gab <file>', format: 'gab', description: "the result for github-action-benchmark (customSmallerIsBetter JSON; '-' for stdout)" }),
};

/** The option of one output, in the output group. */
export const outputOption = (spec: OutputSpec): Option => opt(GROUP.output, spec.flags, spec.description);

/**
 * Ends a command's options with the ones every command takes, in one place:
 * --no-color, --debug, then -h, --help in the output group.
 */
export function finishOptions(cmd: Command): Command {
  return cmd.addOption(colorOption()).addOption(debugOption()).addHelpOption(helpOption());
}

// Where the project's files are, computed once. Compiled to dist/src/paths.js,
// so the project root is two folders up.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = new URL('../../', import.meta.url);
const at = (rel: string) => fileURLToPath(new URL(rel, root));

export const ROOT = at('./');
/** The compiled BPF object (built by `make`). */
export const DEFAULT_OBJECT = at('bpf/bench.bpf.o');
/** The native read loop (built by `make` from native/read-loop.c). */
export const NATIVE_LIB = at('native/libbpfbench.so');
export const RESULTS_DIR = at('results/');
export const BASELINE_DIR = at('results/baselines/');
export const PUBLISHED_FILE = at('results/published/go-bpf-batch-test.json');

const pkg = createRequire(import.meta.url)(at('package.json')) as { name: string; version: string };
/** This tool's name and version (package.json), as results record it. */
export const TOOL = { name: pkg.name, version: pkg.version } as const;

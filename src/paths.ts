// Where the project's files are, computed once. Compiled to dist/src/paths.js,
// so the project root is two folders up.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = new URL('../../', import.meta.url);
const at = (rel: string) => fileURLToPath(new URL(rel, root));

/**
 * A file `make` builds for this machine, or else the one the npm package
 * carries prebuilt for this architecture (dist/prebuilt/<process.arch>/,
 * built by `make prebuilt` when packing; an installed package has no local
 * build). With neither, the local path, which the errors then name.
 */
export interface Artifact {
  path: string;
  /** `local`: built by `make` in this tree; `prebuilt`: the package's copy for this architecture. */
  origin: 'local' | 'prebuilt';
  /** The local build this one stands in for, when it is the prebuilt copy. */
  missing?: string;
}
const built = (local: string, prebuilt: string): Artifact => {
  const path = at(local);
  const shipped = at(`dist/prebuilt/${process.arch}/${prebuilt}`);
  return !existsSync(path) && existsSync(shipped) ? { path: shipped, origin: 'prebuilt', missing: path } : { path, origin: 'local' };
};

export const ROOT = at('./');
/** The compiled BPF object (built by `make`, or prebuilt in the package). */
export const OBJECT_ARTIFACT = built('bpf/bench.bpf.o', 'bench.bpf.o');
export const DEFAULT_OBJECT = OBJECT_ARTIFACT.path;
/** The native read loop (built by `make` from native/read-loop.c, or prebuilt in the package). */
export const NATIVE_ARTIFACT = built('native/libbpfbench.so', 'libbpfbench.so');
export const NATIVE_LIB = NATIVE_ARTIFACT.path;
/** A source checkout (the C sources are here), where a prebuilt copy stands in for a build `make` did not do. */
export const SOURCE_CHECKOUT = existsSync(at('native/read-loop.c'));
export const RESULTS_DIR = at('results/');
export const BASELINE_DIR = at('results/baselines/');
export const PUBLISHED_FILE = at('results/published/go-bpf-batch-test.json');

const pkg = createRequire(import.meta.url)(at('package.json')) as { name: string; version: string };
/** This tool's name and version (package.json), as results record it. */
export const TOOL = { name: pkg.name, version: pkg.version } as const;

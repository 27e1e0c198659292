// Other implementations of the same reads, each run on a pinned map: a C
// program issuing the raw syscalls (the floor), Go with cilium/ebpf,
// `bpftool map dump` and bcc's Python tables (and, in peers/exec.ts, any
// reader of the user's own). Each prints what it read (counts and checksums), which
// is verified like bpfbench's own reads. Their toolchains are installed by
// `make deps`; a peer whose tools are missing says so and is skipped, one
// whose tools are there but that does not build is a failure. Their bpf calls
// are counted by the kernel (peer-audit.ts), in an audit read of their own.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Expectation } from '../filling/expectation.js';
import { countProcess } from './peer-audit.js';
import { Verifier } from '../verification/verifier.js';
import { type PeerReport, type PeerUnavailable, type Peer, sh, have, notInstalled, processError, programPeer } from './program-peer.js';

const didNotBuild = (what: string, out: string): PeerUnavailable => ({ why: `${what} did not build: ${out.split('\n').pop()}`, broken: true });

export const cPeer = programPeer(
  'c',
  'scripts/peers/c/bpfbench-peer-c',
  (log) => {
    if (!have('gcc')) return notInstalled(['a C compiler (gcc)']);
    log('building the C peer…');
    const r = sh('make', ['-s', '-C', 'scripts/peers/c']);
    return r.ok ? undefined : didNotBuild('the C peer', r.out);
  },
  { strategies: ['elem', 'batch', 'batch-fixed-cursor', 'batch-sharded'] },
);

/** Where Debian's golang-github-cilium-ebpf-dev puts cilium/ebpf (scripts/peers/go/go.mod replaces to it). */
const CILIUM_EBPF = '/usr/share/gocode/src/github.com/cilium/ebpf';

export const goPeer = programPeer('go', 'scripts/peers/go/bpfbench-peer-go', (log) => {
  const missing: string[] = [];
  if (!have('go')) missing.push('Go (golang-go)');
  if (!existsSync(CILIUM_EBPF)) missing.push('cilium/ebpf (golang-github-cilium-ebpf-dev)');
  if (missing.length) return notInstalled(missing);
  log('building the Go peer (cilium/ebpf, offline)…');
  const r = sh('bash', ['scripts/peers/go/build.sh']);
  return r.ok ? undefined : didNotBuild('the Go peer', r.out);
});

/** What bpftool read: its dump (a file), verified and summed like a peer's own report. */
function bpftoolReport(dump: string, wallNs: number, expect: Expectation): PeerReport {
  const v = new Verifier(expect);
  v.reset();
  parseBpftoolDump(readFileSync(dump, 'utf8'), v);
  const verdict = v.verdict();
  const sums = v.sums();
  return {
    impl: 'bpftool',
    strategy: 'elem',
    wallNs,
    entries: verdict.entries,
    distinct: verdict.distinct,
    keySum: sums.keySum >>> 0,
    checksum: sums.checksum >>> 0,
    badValues: verdict.badValues,
    badKeys: verdict.badKeys,
  };
}

/** A fresh file for bpftool's output; remove() deletes it and its directory. */
function dumpFile(): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'bpfbench-bpftool-'));
  return { path: join(dir, 'dump.txt'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * `bpftool map dump pinned PATH`, timed as a process (its output goes to a
 * file, so that parsing it is not part of bpftool's time), its output parsed
 * and verified. bpftool cannot mark its read: its kernel count is its whole
 * process, which is also what its time covers.
 */
export const bpftoolPeer: Peer = {
  name: 'bpftool',
  strategies: ['elem'],
  timing: { by: 'bpfbench', includesStartup: true },
  prepare() {
    return have('bpftool') ? undefined : notInstalled(['bpftool']);
  },
  read(pin, strategy, _chunk, expect, opts = {}) {
    const out = dumpFile();
    try {
      const t0 = process.hrtime.bigint();
      const r = spawnSync('sh', ['-c', 'exec bpftool map dump pinned "$1" > "$2"', 'sh', pin, out.path], {
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
        timeout: opts.timeoutMs,
        killSignal: 'SIGKILL',
      });
      const wallNs = Number(process.hrtime.bigint() - t0);
      if (r.status !== 0) throw processError('bpftool', strategy, r, opts.timeoutMs);
      return bpftoolReport(out.path, wallNs, expect);
    } finally {
      out.remove();
    }
  },
  async audit(pin, _strategy, _chunk, expect, counter, opts = {}) {
    const out = dumpFile();
    const fd = openSync(out.path, 'w');
    try {
      const r = await countProcess(['bpftool', 'map', 'dump', 'pinned', pin], counter, { sync: false, stdoutFd: fd, timeoutMs: opts.timeoutMs });
      return { report: bpftoolReport(out.path, 0, expect), kernel: r.process, covers: 'process', process: r.process };
    } finally {
      closeSync(fd);
      out.remove();
    }
  },
};

/** Feeds `key: 03 00 00 00  value: ef be ad de` lines (4-byte keys and values) to the verifier. */
export function parseBpftoolDump(text: string, v: Verifier): void {
  const re = /^key: ((?:[0-9a-f]{2} ?){4})\s+value: ((?:[0-9a-f]{2} ?){4})/gm;
  const entry = new Uint8Array(8);
  const bytes = (hex: string, off: number) => {
    for (const [j, h] of hex.trim().split(' ').entries()) entry[off + j] = parseInt(h, 16);
  };
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    bytes(m[1]!, 0);
    bytes(m[2]!, 4);
    v.addRaw(entry, 0, entry, 4);
  }
}

/** Checks a peer's report against what the loader wrote. */
export const BCC_PYTHON = process.env.BPFBENCH_BCC_PYTHON || '/usr/bin/python3';

/**
 * bcc's Python tables (scripts/peers/bcc/peer.py): items() per element,
 * items_lookup_batch() in batches of bcc's own size. Nothing to build; bcc
 * compiles its C with the kernel headers at /lib/modules/$(uname -r)/build,
 * which `make deps` installs (and links, for a kernel that ships none).
 */
export const bccPeer = programPeer(
  'bcc',
  'scripts/peers/bcc/peer.py',
  () => {
    if (!sh(BCC_PYTHON, ['-c', 'import bcc']).ok) return notInstalled([`bcc for ${BCC_PYTHON} (python3-bpfcc)`]);
    const release = sh('uname', ['-r']).out;
    if (!existsSync(`/lib/modules/${release}/build/Makefile`) && !existsSync('/sys/kernel/kheaders.tar.xz')) {
      return notInstalled([`kernel headers for bcc (/lib/modules/${release}/build: linux-headers-amd64 and the links 'make deps' makes)`]);
    }
    return undefined;
  },
  { interpreter: BCC_PYTHON, strategies: ['elem', 'batch'] },
);

export const PEERS: readonly Peer[] = [cPeer, goPeer, bpftoolPeer, bccPeer];

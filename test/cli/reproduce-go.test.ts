// reproduce --impls ts,go: Go with cilium/ebpf runs the published
// experiment's three reads on the map bpfbench made, at a small size here
// (the 100Mi run takes ~30 min and is kept out of the suite). Each read is
// verified: Go's correct reads see every key, its published loop only the
// first buckets, as bpfbench's does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync } from 'node:fs';
import { PIN_DIR } from '../../src/bpf/maps/bpffs.js';
import { goPeer } from '../../src/harness/peers/peer-programs.js';
import type { Reproduction } from '../../src/report/analysis/reproduction.js';
import { runCli } from '../helpers.js';

test('reproduce --impls ts,go: published | Go here | bpfbench, each with the distinct keys it saw; exit 0', (t) => {
  const no = goPeer.prepare(() => undefined);
  assert.ok(!no?.broken, no?.why);
  if (no) {
    // Under CI a missing tool fails, naming it (issue 17's helper will take this over).
    if (process.env.CI === 'true' || process.env.BPFBENCH_REQUIRE_ALL === '1') assert.fail(`Go with cilium/ebpf is required under CI: ${no.why}`);
    return t.skip(no.why);
  }
  const N = 65_536;
  const r = runCli(['reproduce', '--impls', 'ts,go', '--entries', String(N), '--map-flags', 'zero_seed', '--runs', '1', '--no-color', '--json', '-']);
  assert.equal(r.status, 0, r.stderr);
  const rep = (JSON.parse(r.stdout) as { reproduction: Reproduction }).reproduction;
  const go = rep.go!;
  assert.match(go.library, /cilium\/ebpf/);
  assert.deepEqual(
    go.rows.map((x) => x.strategy),
    ['elem', 'batch', 'batch-fixed-cursor'],
  );
  const by = (s: string) => go.rows.find((x) => x.strategy === s)!;
  for (const s of ['elem', 'batch']) {
    assert.equal(by(s).error, null);
    assert.equal(by(s).verified, true, by(s).problems.join('; '));
    assert.equal(by(s).distinct, N);
    assert.equal(by(s).counted, N);
    assert.ok(by(s).wallNs! > 0 && by(s).processWallNs! > by(s).wallNs!, 'the whole process takes longer than its read');
  }
  const flawed = by('batch-fixed-cursor');
  assert.equal(flawed.verified, false);
  const ours = rep.rows.find((x) => x.strategy === 'batch-fixed-cursor')!;
  assert.equal(flawed.distinct, ours.distinct, "one map, the same first buckets: Go's published loop sees the keys bpfbench's does");
  assert.ok(flawed.distinct < N);
  assert.equal(flawed.counted, ours.counted);
  assert.ok(rep.speedup.goCorrect! > 1 && rep.speedup.goFlawedLoop! > 1);
  // The table on stderr (the JSON took stdout): the Go rows between the published and bpfbench's.
  assert.match(r.stderr, /^elem +Go, published +unchecked .*\n +Go here +ok .* 65,536 +65,536 .*\n +bpfbench +ok /m);
  assert.match(r.stderr, /^ +Go here +FAILED .* 4,09\d /m);
  assert.equal(existsSync(`${PIN_DIR}/reproduce-go-${r.pid}`), false, 'the pin is removed');
});

test('reproduce --impls without ts, or with an unknown name: one line, exit 2', () => {
  const r = runCli(['reproduce', '--impls', 'go']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--impls must include ts/);
  assert.equal(runCli(['reproduce', '--impls', 'ts,bcc']).status, 2);
});

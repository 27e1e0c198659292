#!/usr/bin/env bash
# `make test`: the linter, then the whole suite against the real kernel, one file at a time,
# then what this kernel allows (the probe's table: a test that needs a
# refused feature asserts the refusal instead of its full checks) and how
# many tests skipped. Under CI=true (or BPFBENCH_REQUIRE_ALL=1) a skipped
# test fails the run: CI never passes by skipping.
set -uo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# The linter first (biome.jsonc): a warning fails the run, after the suite has run.
lint=0
echo "== lint (biome)"
npx biome lint --error-on-warnings || lint=1
# And the formatter's check: code make fmt would change fails the run too.
npx biome format || lint=1
node --test --test-concurrency=1 $(find dist/test -name '*.test.js' | sort) | tee "$log"
rc=${PIPESTATUS[0]}
echo
echo "== what this kernel allows (bpfbench info --kernel)"
./bin/bpfbench info --kernel || rc=1
skipped="$(sed -n 's/^# skipped \([0-9]*\)$/\1/p' "$log" | tail -n 1)"
echo "== skipped tests: ${skipped:-unknown}"
grep -E '^(not )?ok .* # SKIP' "$log" | sed 's/^/   /'
if [ "${skipped:-x}" != 0 ] && { [ "${CI:-}" = true ] || [ "${BPFBENCH_REQUIRE_ALL:-}" = 1 ]; }; then
  echo "make test: ${skipped:-an unknown number of} tests skipped under CI: nothing may pass by skipping" >&2
  rc=1
fi
[ "$lint" = 0 ] || { echo "make test: the linter or the formatter's check found problems (make lint; make fmt formats)" >&2; rc=1; }
exit "$rc"

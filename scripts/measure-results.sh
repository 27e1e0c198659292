#!/usr/bin/env bash
# Re-measure the committed results/ files, one step at a time, with the
# default read loop (native) on the machine at hand. Each step holds
# /tmp/bpfbench-cpu.lock (nothing else heavy runs beside it) and runs at
# nice -20; its output goes to $OUT (default /tmp/bpfbench-measure), its
# console text beside it as .txt. Copy what you keep into results/ by hand:
# a file is a measurement of one day on one machine, never made by a test.
#
#   scripts/measure-results.sh reproduce run-100Mi peers-100Mi-batch ...
#   scripts/measure-results.sh all        # every step, in the order below
#
# Times here (2-core VM, 6.18.44-fc-v1272): reproduce ~25 min (Go's and
# bpfbench's per-element reads of 100Mi, ~8 min each), run-100Mi ~12 min,
# peers-100Mi-elem ~45 min (6 reads of ~7.5 min), the others 1–10 min.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-/tmp/bpfbench-measure}"
mkdir -p "$OUT/types" "$OUT/sweep-reference" "$OUT/sweep-lru"
b() { nice -n -20 ./bin/bpfbench "$@"; }
export -f b
step() {
  local name="$1"; shift
  echo "== $name: $* ($(date -u +%H:%M:%S))"
  local t0=$SECONDS
  if flock /tmp/bpfbench-cpu.lock bash -c '"$@"' step "$@" >"$OUT/$name.txt" 2>&1; then rc=0; else rc=$?; fi
  echo "== $name: exit $rc after $((SECONDS - t0)) s"
}
one() {
  case "$1" in
    reproduce) step reproduce-100Mi b reproduce --impls ts,go --json "$OUT/reproduce-100Mi.json" ;;
    run-100Mi) step run-100Mi /usr/bin/time -v -o "$OUT/run-100Mi-time.txt" nice -n -20 ./bin/bpfbench run -v --json "$OUT/run-100Mi.json" ;;
    peers-100Mi-batch) step peers-100Mi-batch b peers --entries 100Mi --impls ts,c --strategies batch --loops native,js --rounds 3 --json "$OUT/peers-100Mi-batch.json" ;;
    sharded-100Mi) step sharded-100Mi-t2 b peers --entries 100Mi --impls ts,c --strategies batch,batch-sharded --loops native --threads 2 --rounds 2 --json "$OUT/sharded-100Mi-t2.json" ;;
    sharded-1Mi) for t in 1 2 4; do step "sharded-1Mi-t$t" b peers --entries 1Mi --impls ts,c --strategies batch,batch-sharded --loops native --threads "$t" --rounds 7 --json "$OUT/sharded-1Mi-t$t.json"; done ;;
    sharded-16Mi) for t in 1 2; do step "sharded-16Mi-t$t" b peers --entries 16Mi --impls ts,c --strategies batch,batch-sharded --loops native --threads "$t" --rounds 3 --json "$OUT/sharded-16Mi-t$t.json"; done ;;
    sharded-runs)
      step sharded-run-1Mi b run --entries 1Mi --strategies batch,batch-sharded,batch-delete,batch-delete-sharded --threads 2 --runs 7 --warmup 1 --json "$OUT/sharded-run-1Mi.json"
      step sharded-run-16Mi b run --entries 16Mi --strategies batch,batch-sharded --threads 2 --runs 3 --warmup 1 --json "$OUT/sharded-run-16Mi.json"
      step sharded-writers-1Mi-1 b run --entries 1Mi --writers 1 --strategies batch,batch-sharded --threads 2 --runs 3 --warmup 1 --json "$OUT/sharded-writers-1Mi-1.json" ;;
    peers-100Mi-elem) step peers-100Mi-elem b peers --entries 100Mi --impls ts,c --strategies elem --loops native,js --rounds 2 --json "$OUT/peers-100Mi-elem.json" ;;
    peers-16Mi) step peers-16Mi b peers --entries 16Mi --impls ts,c --strategies elem,batch --loops native,js --rounds 3 --json "$OUT/peers-16Mi.json" ;;
    peers-1Mi) step peers-1Mi b peers --entries 1Mi --impls ts,c,go,bpftool --strategies elem,batch --loops native,js --rounds 5 --json "$OUT/peers-1Mi.json" ;;
    peers-bcc-1Mi) step peers-bcc-1Mi b peers --entries 1Mi --impls ts,c,go,bpftool,bcc --strategies elem,batch --loops native,js --rounds 3 --json "$OUT/peers-bcc-1Mi.json" ;;
    peers-4Mi) step peers-4Mi b peers --entries 4Mi --impls ts,c,go,bpftool --strategies elem,batch --loops native,js --rounds 3 --json "$OUT/peers-4Mi.json" ;;
    run-1Mi) step run-1Mi b run --entries 1Mi --json "$OUT/run-1Mi.json" ;;
    run-4Mi) step run-4Mi b run --entries 4Mi --json "$OUT/run-4Mi.json" ;;
    types)
      # iter is left out where this kernel refuses iter/bpf_map_elem (bpfbench info --kernel).
      iter=iter; ./bin/bpfbench info --kernel 2>/dev/null | grep -q 'dump_map.*refused' && iter=
      for t in hash percpu_hash lru_hash lru_percpu_hash array percpu_array; do
        case "$t" in *array) s="elem,batch${iter:+,$iter}" ;; *) s="elem,batch${iter:+,$iter},elem-delete,batch-delete" ;; esac
        fill=batch; [ "$t" = hash ] && fill=prog
        step "types-$t" b run --entries 1Mi --map-type "$t" --fill "$fill" --strategies "$s" --runs 3 --warmup 1 --json "$OUT/types/$t-1Mi.json"
      done ;;
    sweeps)
      step sweep-reference b sweep --entries 1Mi,4Mi --chunks 1,8,64,512,4096,32768 --runs 3 --max-call-latency 1ms --out-dir "$OUT/sweep-reference"
      step sweep-lru b sweep --map-type lru_hash --entries 4096 --max-entries 16Mi --chunks 256,4096,32768 --runs 3 --no-elem --max-call-latency 1ms --out-dir "$OUT/sweep-lru" ;;
    writers)
      iter=iter; ./bin/bpfbench info --kernel 2>/dev/null | grep -q 'dump_map.*refused' && iter=
      s="elem,batch${iter:+,$iter}"
      step writers-1Mi-1 b run --entries 1Mi --writers 1 --strategies "$s" --runs 3 --json "$OUT/writers-1Mi-1.json"
      step writers-1Mi-2 b run --entries 1Mi --writers 2 --strategies "$s" --runs 3 --json "$OUT/writers-1Mi-2.json"
      step writers-1Mi-1-10k b run --entries 1Mi --writers 1 --write-rate 10000 --strategies "$s" --runs 3 --json "$OUT/writers-1Mi-1-10k.json" ;;
    all) for s in reproduce run-100Mi peers-100Mi-batch sharded-100Mi sharded-16Mi sharded-1Mi sharded-runs peers-16Mi peers-1Mi peers-bcc-1Mi peers-4Mi run-1Mi run-4Mi types sweeps writers peers-100Mi-elem; do one "$s"; done ;;
    *) echo "measure-results.sh: no step '$1'" >&2; exit 2 ;;
  esac
}
[ $# -gt 0 ] || { sed -n '2,14p' "$0"; exit 2; }
for s in "$@"; do one "$s"; done

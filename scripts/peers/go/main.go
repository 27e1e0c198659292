// bpfbench Go peer: reads a pinned BPF hash map (u32 key -> u32 value) with
// github.com/cilium/ebpf v0.9.1, verifies every entry it is given and prints one
// JSON line per run on stdout.
//
//	bpfbench-peer-go --pin PATH --strategy elem|batch|batch-fixed-cursor \
//	                 --chunk N --runs R --value V [--sync]
//
// It prints no count of bpf calls: the syscalls are cilium/ebpf's, not ours
// to count, so bpfbench has the kernel count them (--sync: around each run's
// read, write a line "ready" (before) and "done" (after) on stdout and wait
// for one byte on stdin each time, so that the caller can read the kernel's
// syscall counters exactly at the read's edges).
//
// Errors: one line on stderr, exit status 1.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

const maxChunk = 1 << 24

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "bpfbench-peer-go: "+format+"\n", args...)
	os.Exit(1)
}

// verify is the per-run verification state. All sums wrap mod 2^32.
type verify struct {
	entries   uint64
	distinct  uint64
	badValues uint64
	badKeys   uint64
	keySum    uint32
	checksum  uint32
}

type reader struct {
	m          *ebpf.Map
	maxEntries uint32
	want       uint32
	chunk      uint32
	bitmap     []uint64
	keys, vals []uint32
}

// account: term(k, v) = ((k ^ 0x5bd1e995) * 0x9e3779b1) ^ v   (uint32 wrapping)
func (r *reader) account(s *verify, k, v uint32) {
	s.entries++
	s.keySum += k
	s.checksum += ((k ^ 0x5bd1e995) * 0x9e3779b1) ^ v
	if v != r.want {
		s.badValues++
	}
	if k < r.maxEntries {
		bit := uint64(1) << (k & 63)
		w := r.bitmap[k>>6]
		if w&bit == 0 {
			s.distinct++
			r.bitmap[k>>6] = w | bit
		}
	} else {
		s.badKeys++
	}
}

// elem: Map.Iterate, i.e. GET_NEXT_KEY (first with a NULL key) + LOOKUP_ELEM
// until ENOENT. cilium bounds the walk itself to max_entries
// (ErrIterationAborted); the extra check below keeps the bound explicit.
func (r *reader) readElem(s *verify) {
	var k, v uint32
	it := r.m.Iterate()
	for it.Next(&k, &v) {
		if s.entries == uint64(r.maxEntries) {
			die("elem: more than max_entries (%d) keys, iteration aborted", r.maxEntries)
		}
		r.account(s, k, v)
	}
	if err := it.Err(); err != nil {
		die("elem: iterate: %v", err)
	}
}

// batch: BPF_MAP_LOOKUP_BATCH, first from the beginning (nil), then from the
// cursor the previous call returned; a short batch is normal; on ENOENT the
// entries of that last call are still valid. `calls` only bounds the loop.
func (r *reader) readBatch(s *verify) {
	var calls uint64
	var cursor, inCursor uint32
	maxCalls := uint64(r.maxEntries) + 2
	var prev interface{} // nil: start at the beginning
	for {
		if calls == maxCalls {
			die("batch: more than %d LOOKUP_BATCH calls, aborted", maxCalls)
		}
		calls++
		n, err := r.m.BatchLookup(prev, &cursor, r.keys, r.vals, nil)
		end := false
		if err != nil {
			if !errors.Is(err, ebpf.ErrKeyNotExist) {
				batchDie(err)
			}
			end = true
		}
		if n < 0 || n > len(r.keys) {
			die("batch: BatchLookup returned count %d (chunk %d)", n, r.chunk)
		}
		for i := 0; i < n; i++ {
			r.account(s, r.keys[i], r.vals[i])
		}
		if end {
			return
		}
		inCursor = cursor
		prev = &inCursor
	}
}

// batch-fixed-cursor: the published flawed loop. floor(max_entries/chunk)
// calls, every one with the same start cursor (a u32 0, never updated).
func (r *reader) readFixed(s *verify) {
	var prev uint32
	var k uint32
	n := r.maxEntries / r.chunk
	for i := uint32(0); i < n; i++ {
		got, err := r.m.BatchLookup(prev, &k, r.keys, r.vals, nil)
		if err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			batchDie(err)
		}
		if got < 0 || got > len(r.keys) {
			die("batch-fixed-cursor: BatchLookup returned count %d (chunk %d)", got, r.chunk)
		}
		for j := 0; j < got; j++ {
			r.account(s, r.keys[j], r.vals[j])
		}
	}
}

func batchDie(err error) {
	if errors.Is(err, unix.ENOSPC) {
		die("BPF_MAP_LOOKUP_BATCH: ENOSPC (chunk is smaller than a hash bucket): %v", err)
	}
	die("BPF_MAP_LOOKUP_BATCH: %v", err)
}

// syncPoint (--sync): tells the caller where we are, and waits for its go-ahead.
func syncPoint(what string) {
	if _, err := io.WriteString(os.Stdout, what+"\n"); err != nil {
		die("writing stdout: %v", err)
	}
	var b [1]byte
	if n, err := os.Stdin.Read(b[:]); n != 1 {
		die("--sync: stdin closed before the go-ahead (%s): %v", what, err)
	}
}

func parseUint(name, s string, max uint64) uint64 {
	x, err := strconv.ParseUint(s, 0, 64)
	if err != nil || x > max {
		die("%s: invalid value %q (0..%d)", name, s, max)
	}
	return x
}

func main() {
	fs := flag.NewFlagSet("bpfbench-peer-go", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	pin := fs.String("pin", "", "pinned map path")
	strategy := fs.String("strategy", "", "elem|batch|batch-fixed-cursor")
	chunkS := fs.String("chunk", "4096", "entries per LOOKUP_BATCH call")
	runsS := fs.String("runs", "1", "number of full reads")
	valueS := fs.String("value", "3735928559", "value every entry should have")
	sync := fs.Bool("sync", false, "wait for a byte on stdin before and after each read")
	if err := fs.Parse(os.Args[1:]); err != nil {
		die("%v (usage: --pin PATH --strategy elem|batch|batch-fixed-cursor --chunk N --runs R --value V)", err)
	}
	if fs.NArg() != 0 {
		die("unexpected argument %q", fs.Arg(0))
	}
	if *pin == "" {
		die("--pin is required")
	}
	switch *strategy {
	case "elem", "batch", "batch-fixed-cursor":
	case "":
		die("--strategy is required")
	default:
		die("unknown --strategy %q (elem|batch|batch-fixed-cursor)", *strategy)
	}
	chunk := parseUint("--chunk", *chunkS, maxChunk)
	runs := parseUint("--runs", *runsS, 1000000)
	value := parseUint("--value", *valueS, 0xffffffff)
	if chunk < 1 {
		die("--chunk must be >= 1")
	}
	if runs < 1 {
		die("--runs must be >= 1")
	}

	m, err := ebpf.LoadPinnedMap(*pin, nil)
	if err != nil {
		die("load pinned map %s: %v", *pin, err)
	}
	defer m.Close()
	if m.Type() != ebpf.Hash {
		die("%s: map type %v is not Hash", *pin, m.Type())
	}
	if m.KeySize() != 4 || m.ValueSize() != 4 {
		die("%s: key/value size %d/%d, want 4/4", *pin, m.KeySize(), m.ValueSize())
	}

	// Everything the loops can reuse is allocated here, once.
	r := &reader{
		m:          m,
		maxEntries: m.MaxEntries(),
		want:       uint32(value),
		chunk:      uint32(chunk),
		bitmap:     make([]uint64, (uint64(m.MaxEntries())+63)/64),
	}
	if *strategy != "elem" {
		r.keys = make([]uint32, chunk)
		r.vals = make([]uint32, chunk)
		// cilium runs a one-time, memoized feature probe (haveBatchAPI: it
		// creates a 2-entry map and BPF_MAP_UPDATE_BATCHes it) on the first
		// batch call. Trigger it here, outside the timed reads, with a
		// zero-count lookup (the kernel returns at once for count 0).
		var c uint32
		if _, err := m.BatchLookup(nil, &c, []uint32{}, []uint32{}, nil); err != nil &&
			!errors.Is(err, ebpf.ErrKeyNotExist) {
			batchDie(err)
		}
	}

	out := os.Stdout
	var before, after runtime.MemStats
	for run := uint64(1); run <= runs; run++ {
		for i := range r.bitmap {
			r.bitmap[i] = 0
		}
		var s verify
		if *sync {
			syncPoint("ready")
		}
		runtime.ReadMemStats(&before)
		t0 := time.Now()
		switch *strategy {
		case "elem":
			r.readElem(&s)
		case "batch":
			r.readBatch(&s)
		case "batch-fixed-cursor":
			r.readFixed(&s)
		}
		wall := time.Since(t0)
		runtime.ReadMemStats(&after)
		if *sync {
			syncPoint("done")
		}

		line := fmt.Sprintf(`{"impl":"go","strategy":%q,"chunk":%d,"run":%d,"wallNs":%d,`+
			`"entries":%d,"distinct":%d,"keySum":%d,"checksum":%d,"badValues":%d,"badKeys":%d,`+
			`"allocatedBytes":%d,"gcCount":%d,"maxEntries":%d}`+"\n",
			*strategy, chunk, run, wall.Nanoseconds(),
			s.entries, s.distinct, s.keySum, s.checksum, s.badValues, s.badKeys,
			after.TotalAlloc-before.TotalAlloc, after.NumGC-before.NumGC, r.maxEntries)
		if _, err := io.WriteString(out, line); err != nil {
			die("writing stdout: %v", err)
		}
	}
}

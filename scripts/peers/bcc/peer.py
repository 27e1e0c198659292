#!/usr/bin/python3
# bpfbench bcc peer: reads a pinned BPF hash map (u32 key -> u32 value) with
# bcc's Python tables (Debian's python3-bpfcc), the way bcc's users do, and
# prints one JSON line per run on stdout, like the C and Go peers.
#
#   peer.py --pin PATH --strategy elem|batch --runs R --value V [--sync]
#
#   elem:  table.items(): per element, GET_NEXT_KEY + LOOKUP_ELEM for each key
#          (TableBase.iteritems), into a list of (key, value) pairs.
#   batch: list(table.items_lookup_batch()): BPF_MAP_LOOKUP_BATCH with bcc's own
#          count, which bcc does not let its caller set. bcc allocates keys and
#          values for the table's max_entries (TableBase._alloc_keys_values) and
#          asks each call for what is left of that buffer (max_entries on the
#          first call), so a full map is read in one call. The "chunk" printed is
#          that count, the table's max_entries; bpfbench's kernel count of the
#          read shows the calls it made.
#
# bcc's Table needs a module bcc compiled: it cannot wrap a bare fd. So the
# map is declared with BPF_TABLE_PINNED, which makes bcc open the pin (bcc
# compiles that declaration with the kernel headers `make deps` provides).
# Its max_entries must be declared, and is read from the kernel first
# (BPF_OBJ_GET + BPF_OBJ_GET_INFO_BY_FD, before the read).
#
# Timed: the read alone, into Python objects, as a bcc user gets them
# (--sync: "ready" before it and "done" after it, each followed by a wait for
# a byte on stdin, so that bpfbench's kernel count spans the read alone).
# The pairs are verified after the clock stops: the checksums are the C
# peer's (term(k, v) = ((k ^ 0x5bd1e995) * 0x9e3779b1 mod 2^32) ^ v).
#
# Errors: one line on stderr, exit status 1.
import argparse
import ctypes
import json
import os
import sys
import time


def die(msg):
    sys.stderr.write("bpfbench-peer-bcc: %s\n" % msg)
    sys.exit(1)


NR_BPF = {"x86_64": 321, "aarch64": 280}
BPF_OBJ_GET = 7
BPF_OBJ_GET_INFO_BY_FD = 15
BPF_MAP_TYPE_HASH = 1


def map_info(pin):
    """(type, key_size, value_size, max_entries) of the pinned map, from the kernel."""
    nr = NR_BPF.get(os.uname().machine)
    if nr is None:
        die("no bpf(2) syscall number for %s" % os.uname().machine)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    path = ctypes.create_string_buffer(pin.encode())
    attr = (ctypes.c_uint64 * 16)()  # zeroed; larger than the fields used
    attr[0] = ctypes.addressof(path)
    fd = libc.syscall(nr, BPF_OBJ_GET, ctypes.byref(attr), 16)
    if fd < 0:
        die("BPF_OBJ_GET %s: %s" % (pin, os.strerror(ctypes.get_errno())))
    info = (ctypes.c_uint32 * 32)()
    ga = (ctypes.c_uint32 * 16)()
    ga[0] = fd
    ga[1] = ctypes.sizeof(info)
    ctypes.c_uint64.from_buffer(ga, 8).value = ctypes.addressof(info)
    r = libc.syscall(nr, BPF_OBJ_GET_INFO_BY_FD, ctypes.byref(ga), 16)
    err = ctypes.get_errno()
    os.close(fd)
    if r < 0:
        die("BPF_OBJ_GET_INFO_BY_FD %s: %s" % (pin, os.strerror(err)))
    # struct bpf_map_info: type, id, key_size, value_size, max_entries, ...
    return info[0], info[2], info[3], info[4]


def sync_point(what):
    sys.stdout.write(what + "\n")
    sys.stdout.flush()
    if len(sys.stdin.buffer.read(1)) != 1:
        die("--sync: stdin closed before the go-ahead (%s)" % what)


def verify(pairs, max_entries, want):
    """entries, distinct, keySum, checksum, badValues, badKeys of (key, value) ints."""
    seen = bytearray(max_entries)
    entries = distinct = bad_values = bad_keys = key_sum = checksum = 0
    for k, v in pairs:
        entries += 1
        key_sum += k
        checksum += (((k ^ 0x5BD1E995) * 0x9E3779B1) & 0xFFFFFFFF) ^ v
        if v != want:
            bad_values += 1
        if k < max_entries:
            if not seen[k]:
                seen[k] = 1
                distinct += 1
        else:
            bad_keys += 1
    return entries, distinct, key_sum & 0xFFFFFFFF, checksum & 0xFFFFFFFF, bad_values, bad_keys


def main():
    ap = argparse.ArgumentParser(prog="bpfbench-peer-bcc", add_help=True)
    ap.add_argument("--pin", required=True)
    ap.add_argument("--strategy", required=True, choices=["elem", "batch"])
    ap.add_argument("--chunk", type=int, default=0, help="ignored: bcc chooses its own count")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--value", type=lambda s: int(s, 0), default=0xDEADBEEF)
    ap.add_argument("--sync", action="store_true")
    try:
        args = ap.parse_args()
    except SystemExit as e:
        sys.exit(1 if e.code else 0)
    if args.runs < 1:
        die("--runs must be >= 1")
    if not os.path.exists(args.pin):
        die("%s: no such pinned map" % args.pin)
    mtype, key_size, value_size, max_entries = map_info(args.pin)
    if mtype != BPF_MAP_TYPE_HASH:
        die("%s: map type %d is not BPF_MAP_TYPE_HASH" % (args.pin, mtype))
    if key_size != 4 or value_size != 4:
        die("%s: key/value size %d/%d, want 4/4" % (args.pin, key_size, value_size))
    try:
        from bcc import BPF
    except ImportError as e:
        die("cannot import bcc (python3-bpfcc): %s" % e)
    text = 'BPF_TABLE_PINNED("hash", u32, u32, m, %d, "%s");' % (max_entries, args.pin.replace('"', '\\"'))
    try:
        b = BPF(text=text)
        table = b["m"]
    except Exception as e:  # bcc raises bare Exceptions: one line of it
        die("bcc could not open %s: %s" % (args.pin, str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__))

    want = args.value & 0xFFFFFFFF
    for run in range(1, args.runs + 1):
        if args.sync:
            sync_point("ready")
        t0 = time.monotonic_ns()
        if args.strategy == "elem":
            items = table.items()
        else:
            items = list(table.items_lookup_batch())
        t1 = time.monotonic_ns()
        if args.sync:
            sync_point("done")
        # Untimed: the ctypes values of items() as ints, then the checks.
        if args.strategy == "elem":
            pairs = ((k.value, v.value) for k, v in items)
        else:
            pairs = items
        entries, distinct, key_sum, checksum, bad_values, bad_keys = verify(pairs, max_entries, want)
        del items
        line = {
            "impl": "bcc",
            "strategy": args.strategy,
            "chunk": table.max_entries if args.strategy == "batch" else None,
            "run": run,
            "wallNs": t1 - t0,
            "entries": entries,
            "distinct": distinct,
            "keySum": key_sum,
            "checksum": checksum,
            "badValues": bad_values,
            "badKeys": bad_keys,
            "maxEntries": max_entries,
        }
        sys.stdout.write(json.dumps(line, separators=(",", ":")) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

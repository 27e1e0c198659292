#!/usr/bin/env python3
"""A reader of your own on bpfbench's map (docs/peers.md): a pinned u32 -> u32
hash map read per element (BPF_MAP_GET_NEXT_KEY + BPF_MAP_LOOKUP_ELEM) with
ctypes and raw bpf(2), reported on bpfbench's protocol. Standard library only.
  bpfbench peers --impls c,exec:py='python3 examples/readers/reader.py {pin} {entries}'
"""
import ctypes
import errno
import os
import sys

NR_BPF = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
BPF_MAP_LOOKUP_ELEM, BPF_MAP_GET_NEXT_KEY, BPF_OBJ_GET = 1, 4, 7
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


class Attr(ctypes.Structure):
    """union bpf_attr as these commands use it: OBJ_GET {pathname}; elem commands {map_fd, key, value/next_key}."""
    _fields_ = [("a", ctypes.c_uint64), ("b", ctypes.c_uint64), ("c", ctypes.c_uint64), ("pad", ctypes.c_uint64 * 13)]


def bpf(cmd, attr, what):
    """bpf(2); returns its result, or None on ENOENT; any other error ends the reader with one line."""
    r = libc.syscall(NR_BPF, cmd, ctypes.byref(attr), ctypes.sizeof(attr))
    if r < 0:
        err = ctypes.get_errno()
        if err == errno.ENOENT:
            return None
        sys.exit("reader.py: %s: %s" % (what, os.strerror(err)))
    return r


def mark(what):
    """A mark, then wait for bpfbench's go-ahead line."""
    print(what, flush=True)
    sys.stdin.readline()


def main(pin, n, checksum_offset=0):
    path = ctypes.create_string_buffer(pin.encode())
    fd = bpf(BPF_OBJ_GET, Attr(a=ctypes.addressof(path)), pin)
    key, nxt, val = ctypes.c_uint32(), ctypes.c_uint32(), ctypes.c_uint32()
    walk = Attr(a=fd, b=0, c=ctypes.addressof(nxt))  # GET_NEXT_KEY from the start (key NULL)
    look = Attr(a=fd, b=ctypes.addressof(nxt), c=ctypes.addressof(val))
    seen = bytearray(n)
    entries = distinct = total = 0
    mark("ready")
    while bpf(BPF_MAP_GET_NEXT_KEY, walk, "BPF_MAP_GET_NEXT_KEY") is not None:
        if bpf(BPF_MAP_LOOKUP_ELEM, look, "BPF_MAP_LOOKUP_ELEM") is not None:  # None: deleted meanwhile
            k, v = nxt.value, val.value
            entries += 1
            total += (((k ^ 0x5BD1E995) * 0x9E3779B1) & 0xFFFFFFFF) ^ v
            if k < n and not seen[k]:
                seen[k] = 1
                distinct += 1
        key.value = nxt.value
        walk.b = ctypes.addressof(key)
    mark("done")
    checksum = (total + checksum_offset) & 0xFFFFFFFF
    print("result entries=%d distinct=%d checksum=%d" % (entries, distinct, checksum), flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: reader.py PIN ENTRIES")
    main(sys.argv[1], int(sys.argv[2]))

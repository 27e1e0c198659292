#!/usr/bin/env bash
# Installs the system packages bpfbench builds and tests with, when they are
# missing (Debian/Ubuntu, as root):
#   build and tests: clang (compiles bpf/bench.bpf.c), libbpf-dev (BPF
#     headers), libbpf1 (libbpf.so.1), strace (the independent syscall count
#     the tests compare with);
#   `bpfbench peers`: gcc and make (the C peer), golang-go and
#     golang-github-cilium-ebpf-dev (the Go peer, built offline), bpftool,
#     python3-bpfcc (the bcc peer) and kernel headers for bcc (below);
#   the report's browser test: chromium (headless).
# Every package it tries to install must install: one that does not fails
# `make deps` (exit 1) naming it, so that no test later skips for it.
#
# bcc compiles its C program with the running kernel's headers, which it
# looks for at /lib/modules/$(uname -r)/build (and .../source). A kernel with
# no headers package of its own (a cloud or custom kernel: no /lib/modules,
# no /sys/kernel/kheaders.tar.xz) gets the distribution's headers package
# (Debian: linux-headers-amd64) and those two links, made here, once, so that
# no benchmark changes the system. The bcc peer only declares a pinned map
# (BPF_TABLE_PINNED) in that program and reads no kernel structure, so
# headers of another kernel version compile it the same.
set -euo pipefail
build=()
command -v clang >/dev/null 2>&1 || build+=(clang)
[ -f /usr/include/bpf/bpf_helpers.h ] || build+=(libbpf-dev)
ldconfig -p 2>/dev/null | grep -q 'libbpf\.so\.1 ' || build+=(libbpf1)
command -v strace >/dev/null 2>&1 || build+=(strace)
peers=()
command -v gcc >/dev/null 2>&1 || peers+=(gcc)
command -v make >/dev/null 2>&1 || peers+=(make)
command -v go >/dev/null 2>&1 || peers+=(golang-go)
[ -d /usr/share/gocode/src/github.com/cilium/ebpf ] || peers+=(golang-github-cilium-ebpf-dev)
command -v bpftool >/dev/null 2>&1 || peers+=(bpftool)
# bcc's Python module is the distribution's: /usr/bin/python3 imports it (a
# python3 earlier on PATH, e.g. pyenv's, does not see it).
/usr/bin/python3 -c 'import bcc' >/dev/null 2>&1 || peers+=(python3-bpfcc)
kmod="/lib/modules/$(uname -r)"
headers_pkg=""
if [ ! -e "$kmod/build/Makefile" ] && [ ! -e /sys/kernel/kheaders.tar.xz ]; then
  if command -v apt-cache >/dev/null 2>&1 && apt-cache show "linux-headers-$(uname -r)" >/dev/null 2>&1; then
    headers_pkg="linux-headers-$(uname -r)" # the kernel's own: it makes the links itself
  elif command -v dpkg >/dev/null 2>&1; then
    headers_pkg="linux-headers-$(dpkg --print-architecture)"
  else
    headers_pkg="linux-headers"
  fi
  dpkg -s "$headers_pkg" >/dev/null 2>&1 || peers+=("$headers_pkg")
fi
browser=()
command -v chromium >/dev/null 2>&1 || browser+=(chromium)

# /lib/modules/$(uname -r)/{build,source} → the newest installed headers of
# this architecture, when the kernel has none of its own.
link_headers() {
  [ -n "$headers_pkg" ] && [ ! -e "$kmod/build/Makefile" ] || return 0
  local arch hdr common
  arch="$(dpkg --print-architecture 2>/dev/null || uname -m)"
  hdr="$(ls -d /usr/src/linux-headers-*-"$arch" 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$hdr" ] && [ -e "$hdr/Makefile" ] || { echo "install-deps: $headers_pkg is installed but no /usr/src/linux-headers-*-$arch has a Makefile: bcc cannot compile" >&2; return 1; }
  common="${hdr%-"$arch"}-common"
  [ -d "$common" ] || common="$hdr"
  mkdir -p "$kmod"
  ln -sfn "$hdr" "$kmod/build"
  ln -sfn "$common" "$kmod/source"
  echo "install-deps: bcc's kernel headers: $kmod/build -> $hdr, $kmod/source -> $common (this kernel ships none)" >&2
}

if [ ${#build[@]} -eq 0 ] && [ ${#peers[@]} -eq 0 ] && [ ${#browser[@]} -eq 0 ]; then
  link_headers
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  [ ${#build[@]} -eq 0 ] || { echo "bpfbench needs: ${build[*]} (install them with your package manager)" >&2; exit 1; }
  [ ${#peers[@]} -eq 0 ] || echo "bpfbench peers needs: ${peers[*]} (install them with your package manager; without them those peers are skipped, and fail under CI=true)" >&2
  [ ${#browser[@]} -eq 0 ] || echo "the report's browser test needs chromium (without it that test is skipped, and fails under CI=true)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
failed=()
install() {
  # All at once; when that fails, one by one, so that the error names each package that cannot install.
  local log
  log="$(mktemp)"
  if apt-get install -y -qq --no-install-recommends "$@" >"$log" 2>&1; then
    rm -f "$log"
    return 0
  fi
  for p in "$@"; do
    apt-get install -y -qq --no-install-recommends "$p" >"$log" 2>&1 || {
      failed+=("$p")
      echo "install-deps: could not install $p: $(grep -E '^E:' "$log" | tail -n 1 || tail -n 1 "$log")" >&2
    }
  done
  rm -f "$log"
}
if [ ${#build[@]} -gt 0 ]; then
  echo "installing ${build[*]} ..." >&2
  install "${build[@]}"
fi
if [ ${#peers[@]} -gt 0 ]; then
  echo "installing the peers' toolchains: ${peers[*]} ..." >&2
  install "${peers[@]}"
fi
if [ ${#browser[@]} -gt 0 ]; then
  echo "installing chromium (headless, for the report's browser test) ..." >&2
  install chromium
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "install-deps: FAILED to install: ${failed[*]}" >&2
  exit 1
fi
link_headers

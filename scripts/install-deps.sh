#!/usr/bin/env bash
# Installs the system packages bpfbench builds and tests with, when they are
# missing (Debian/Ubuntu, as root):
#   build and tests: clang (compiles bpf/bench.bpf.c), libbpf-dev (BPF
#     headers), libbpf1 (libbpf.so.1), strace (the independent syscall count
#     the tests compare with);
#   `bpfbench peers`: gcc and make (the C peer), golang-go and
#     golang-github-cilium-ebpf-dev (the Go peer, built offline), bpftool;
#   the report's browser test: chromium (headless; without it that test is skipped).
# The build's packages must install; a peer's that cannot only leaves that
# peer out of `bpfbench peers`, which then says what is missing.
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
browser=()
command -v chromium >/dev/null 2>&1 || browser+=(chromium)
if [ ${#build[@]} -eq 0 ] && [ ${#peers[@]} -eq 0 ] && [ ${#browser[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  [ ${#build[@]} -eq 0 ] || { echo "bpfbench needs: ${build[*]} (install them with your package manager)" >&2; exit 1; }
  [ ${#peers[@]} -eq 0 ] || echo "bpfbench peers needs: ${peers[*]} (install them with your package manager; without them those peers are skipped)" >&2
  [ ${#browser[@]} -eq 0 ] || echo "the report's browser test needs chromium (without it that test is skipped)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ ${#build[@]} -gt 0 ]; then
  echo "installing ${build[*]} ..." >&2
  apt-get install -y -qq --no-install-recommends "${build[@]}" >/dev/null
fi
if [ ${#peers[@]} -gt 0 ]; then
  echo "installing the peers' toolchains: ${peers[*]} ..." >&2
  if ! apt-get install -y -qq --no-install-recommends "${peers[@]}" >/dev/null 2>&1; then
    # One this distribution lacks must not keep the others out.
    for p in "${peers[@]}"; do
      apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 ||
        echo "warning: could not install $p: bpfbench peers will skip the peers that need it" >&2
    done
  fi
fi
if [ ${#browser[@]} -gt 0 ]; then
  echo "installing chromium (headless, for the report's browser test) ..." >&2
  apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 ||
    echo "warning: could not install chromium: the report's browser test will be skipped" >&2
fi

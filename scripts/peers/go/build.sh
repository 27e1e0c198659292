#!/bin/sh
# Builds ./bpfbench-peer-go offline against the Debian-packaged
# github.com/cilium/ebpf 0.9.1 and golang.org/x/sys (see go.mod's replace lines).
# Needs: apt-get install -y golang-go golang-github-cilium-ebpf-dev
set -eu
cd "$(dirname "$0")"
if [ -z "${HOME:-}" ] && [ -z "${GOCACHE:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
	export GOCACHE=/tmp/bpfbench-peer-go-cache
fi
GOPROXY=off GOFLAGS=-mod=mod go build -o bpfbench-peer-go .

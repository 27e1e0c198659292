# bpfbench build: the BPF object (clang) and the TypeScript (tsc).
#   make            build everything
#   make bench      install what is missing, build, run `bpfbench run` on its defaults
#   make test       install what is missing, build, run the tests against the real kernel
SHELL := /bin/bash
CLANG ?= clang
ARCH_INCLUDE ?= /usr/include/$(shell uname -m)-linux-gnu
UNAME_M := $(shell uname -m)
BPF_ARCH := $(if $(filter x86_64,$(UNAME_M)),x86,$(if $(filter aarch64,$(UNAME_M)),arm64,$(UNAME_M)))
BPF_CFLAGS ?= -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -I$(ARCH_INCLUDE)
NODE_MODULES_STAMP := node_modules/.package-lock.json

.PHONY: all build bpf ts deps bench test clean

all: build
build: bpf ts

bpf: bpf/bench.bpf.o

bpf/bench.bpf.o: bpf/bench.bpf.c
	@command -v $(CLANG) >/dev/null || { echo "clang not found: run 'make deps' (Debian: apt-get install clang libbpf-dev)" >&2; exit 1; }
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The native read loop (src/bpf/native-loop.ts loads it for --loop native):
# plain C against libc, raw syscall(SYS_bpf, ...), built by the same clang.
NATIVE_CFLAGS ?= -O2 -fPIC -shared -Wall -Werror
.PHONY: native clean-native
build: native
clean: clean-native

native: native/libbpfbench.so

native/libbpfbench.so: native/read-loop.c
	@command -v $(CLANG) >/dev/null || { echo "clang not found: run 'make deps' (Debian: apt-get install clang libbpf-dev)" >&2; exit 1; }
	$(CLANG) $(NATIVE_CFLAGS) $< -o $@

clean-native:
	rm -f native/*.so

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

ts: $(NODE_MODULES_STAMP)
	npx tsc -p tsconfig.json

# System packages (Debian/Ubuntu), installed only when missing: what the
# build and the tests need, and the toolchains of `bpfbench peers` (gcc, Go
# with cilium/ebpf, bpftool), so that no benchmark installs anything.
deps:
	@bash scripts/install-deps.sh

bench: deps build
	./bin/bpfbench run

test: deps build
	node --test --test-concurrency=1 $$(find dist/test -name '*.test.js' | sort)

clean:
	rm -rf dist bpf/*.o

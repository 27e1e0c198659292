# bpfbench build: the BPF object (clang) and the TypeScript (tsc).
#   make            build everything
#   make bench      install what is missing, build, run `bpfbench run` on its defaults
#   make test       install what is missing, build, run the tests against the real kernel
#   make baselines  build, then measure the CI job's baselines (results/baselines/) on this machine
#   make package    build, and prebuild for the npm package (`npm pack` runs it)
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

# The native read loop (src/bpf/native/native-loop.ts loads it for --loop native):
# plain C against libc, raw syscall(SYS_bpf, ...), built by the same clang.
NATIVE_CFLAGS ?= -O2 -fPIC -shared -Wall -Wextra -Werror
.PHONY: native clean-native
build: native
clean: clean-native

native: native/libbpfbench.so

NATIVE_SRC := native/read-loop.c native/check.c native/libbpf-count.c
native/libbpfbench.so: $(NATIVE_SRC) native/check.h
	@command -v $(CLANG) >/dev/null || { echo "clang not found: run 'make deps' (Debian: apt-get install clang libbpf-dev)" >&2; exit 1; }
	$(CLANG) $(NATIVE_CFLAGS) $(NATIVE_SRC) -o $@

clean-native:
	rm -f native/*.so

# Prebuilt for the npm package (`npm pack` runs `make package`, which runs this):
# the BPF object and the native read loop for each architecture the package
# supports, in dist/prebuilt/<arch>/ named by Node's process.arch; src/paths.ts
# uses them where there is no local build (an installed package has none).
# The host's is always built; another architecture's when its cross
# toolchain is installed, else it is left out with a warning.
PREBUILT_ARCHES ?= x64 arm64
NODE_ARCH_x86_64 := x64
NODE_ARCH_aarch64 := arm64
HOST_NODE_ARCH := $(NODE_ARCH_$(UNAME_M))
TRIPLE_x64 := x86_64-linux-gnu
TRIPLE_arm64 := aarch64-linux-gnu
BPF_ARCH_x64 := x86
BPF_ARCH_arm64 := arm64
CROSS_PKGS_arm64 := libc6-dev-arm64-cross libgcc-12-dev-arm64-cross binutils-aarch64-linux-gnu
CROSS_PKGS_x64 := libc6-dev-amd64-cross libgcc-12-dev-amd64-cross binutils-x86-64-linux-gnu
# An architecture's kernel headers (asm/ptrace.h): multiarch, else its cross sysroot.
arch_include = $(patsubst %/asm,%,$(firstword $(wildcard /usr/include/$(TRIPLE_$(1))/asm /usr/$(TRIPLE_$(1))/include/asm)))
PREBUILT_DIR := dist/prebuilt
.PHONY: prebuilt clean-prebuilt
clean: clean-prebuilt

prebuilt:
	@$(foreach a,$(PREBUILT_ARCHES),\
	if [ $(a) = "$(HOST_NODE_ARCH)" ] || printf '#include <unistd.h>\nint x;\n' | $(CLANG) --target=$(TRIPLE_$(a)) -fPIC -shared -x c - -o /dev/null 2>/dev/null; then \
	  $(MAKE) --no-print-directory $(PREBUILT_DIR)/$(a)/libbpfbench.so $(PREBUILT_DIR)/$(a)/bench.bpf.o || exit 1; \
	else echo "warning: no $(a) cross toolchain: the package leaves $(a) out (Debian: apt-get install $(CROSS_PKGS_$(a)))" >&2; fi;)

$(PREBUILT_DIR)/%/libbpfbench.so: $(NATIVE_SRC) native/check.h
	@command -v $(CLANG) >/dev/null || { echo "clang not found: run 'make deps' (Debian: apt-get install clang libbpf-dev)" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CLANG) --target=$(TRIPLE_$*) $(NATIVE_CFLAGS) -s $(NATIVE_SRC) -o $@

$(PREBUILT_DIR)/%/bench.bpf.o: bpf/bench.bpf.c
	@command -v $(CLANG) >/dev/null || { echo "clang not found: run 'make deps' (Debian: apt-get install clang libbpf-dev)" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CLANG) -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_$(BPF_ARCH_$*) -I$(call arch_include,$*) -c $< -o $@

clean-prebuilt:
	rm -rf $(PREBUILT_DIR)

# What `npm pack` packs (package.json "files"; its prepack runs this): the
# build, the prebuilt files, and no compiled file whose source is gone (a
# renamed source leaves its old .js in dist/).
.PHONY: package
package: build prebuilt
	@cd dist/src && find . -name '*.js' | while read -r f; do \
	  [ -f "../../src/$${f%.js}.ts" ] || { echo "removing dist/src/$${f#./}: its source is gone" >&2; rm -f "$$f" "$$f.map"; }; done

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# A moved or deleted source leaves its old .js in dist/: removed after each
# build, so no stale test runs and no stale module ships.
ts: $(NODE_MODULES_STAMP)
	npx tsc -p tsconfig.json
	@for d in src test; do [ -d dist/$$d ] || continue; (cd dist/$$d && find . -name '*.js' | while read -r f; do \
	  [ -f "../../$$d/$${f%.js}.ts" ] || { echo "removing dist/$$d/$${f#./}: its source is gone" >&2; rm -f "$$f" "$$f.map"; }; done); done

# System packages (Debian/Ubuntu), installed only when missing: what the
# build and the tests need, and the toolchains of `bpfbench peers` (gcc, Go
# with cilium/ebpf, bpftool), so that no benchmark installs anything.
deps:
	@bash scripts/install-deps.sh

bench: deps build
	./bin/bpfbench run

# The JSON Schema of the results (schema/*.schema.json, shipped in the npm
# package) from its TypeBox source, src/report/schema/; test/report/schema/
# fails when the committed files are not what the source gives.
.PHONY: schema
schema: ts
	node scripts/emit-schema.mjs

# The linter (Biome, biome.jsonc): make test runs it, so CI fails on a warning. make fmt formats.
.PHONY: lint fmt
lint:
	npx biome lint --error-on-warnings
	npx biome format

fmt:
	npx biome format --write

# The CI job's baselines (scripts/ci-perf.sh), refreshed on this machine in one
# command: a 1Mi run (elem, batch, zero-seed map, native loop) and a peers run
# (bpfbench native and C in alternation) at the size the job's speed gate reads,
# every read on the CPU the job pins it to (the last this process may use).
.PHONY: baselines
CI_PEERS_ENTRIES ?= 1Mi
baselines: build
	./bin/bpfbench run --entries 1Mi --strategies elem,batch --map-flags zero_seed --loop native --runs 9 --warmup 1 --save-baseline ci --force
	./bin/bpfbench peers --entries $(CI_PEERS_ENTRIES) --impls ts,c --loops native --rounds 9 --cpu $$(bash scripts/last-cpu.sh) --json results/baselines/ci-peers.json

test: deps build
	@bash scripts/test.sh

clean:
	rm -rf dist bpf/*.o

# Neurone. `make demo` trains on the built-in data; `make test` runs the tests.
#
# The CPU's matrix products run on OpenBLAS, loaded at run time, where it
# is installed (Debian: libopenblas0), and on gonum's pure-Go BLAS
# otherwise; NEURONE_BLAS=gonum or NEURONE_BLAS=openblas in the
# environment forces one. No build tag is involved.

GO      ?= go
BIN     ?= bin
DEMO    ?= demo-out
# bench-compare: PyTorch beside our benchmarks (see bench/compare).
PYTHON  ?= python3
TORCH_SCRIPT ?= bench/torch_mlp6.py
COUNT   ?= 5
DEVICES ?= cpu

.PHONY: all build test test-gonum test-cu vet race fuzz bench bench-compare demo clean gpu-bundle

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

vet:
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)

# The cu layer, backend/cuda on gorgonia.org/cu (-tags cu), which links
# the CUDA libraries when it is built: go vet -tags cu ./..., and
# backend/cuda's cu test binary built and run (its GPU tests skip without
# a GPU, saying why). It needs the CUDA headers (CU_SDK; in CI
# .ci/install-cuda-headers takes them from Debian); without them it says
# so and skips, except in CI (CI=true), where that fails.
# internal/cubuild/cu.sh says how; `eval "$$(internal/cubuild/cu.sh env)"`
# sets up a shell for `go build -tags cu`.
test-cu:
	GO=$(GO) internal/cubuild/cu.sh check

# The whole suite with the BLAS the machine has, then the packages whose
# results depend on the BLAS again with gonum's, so both stay correct
# (backend/cuda's host stand-in is left out: its products stand for
# cuBLAS's, and the first pass covers them); then the CPU kernels with the
# Go loops alone (purego: no AVX kernels), as other architectures run
# them, which arm64's vet checks build.
test: vet test-cu
	$(GO) test -timeout 15m ./...
	NEURONE_BLAS=gonum $(GO) test -timeout 10m ./internal/blas ./internal/cpukernels ./ops ./backend ./backend/cpu ./backend/backendtest
	$(GO) test -tags purego -timeout 5m ./internal/cpukernels ./ops
	GOARCH=arm64 $(GO) vet ./internal/cpukernels

# The packages whose goroutines share memory: the image loader's workers,
# the CPU backend's parallel kernels, the training batches prepared
# while a step runs, and the MPI communicator's call goroutine and
# watchdog (backend/comm, whose tests start mpirun ranks: about 15 s). -short leaves out the convergence test that trains
# full-size networks (over a minute under the race detector). Measured on
# 2 shared cores: 37 s with the race build cached, 2 min 37 s from an
# empty build cache (the race build of the standard library and gorgonia).
RACE_PKGS ?= ./models/catdog/dataset ./backend/cpu ./models/catdog ./backend/comm

race:
	$(GO) test -race -short -timeout 10m $(RACE_PKGS)

# Each fuzz target for FUZZTIME (the seed corpora, and the crashers kept
# in testdata/fuzz, run in every `make test`). Found crashers land in the
# package's testdata/fuzz; keep them there as regression cases.
FUZZTIME ?= 1m
FUZZPARALLEL ?= 2
FUZZ_TARGETS = \
	./models/checkpoint:FuzzLoad \
	./models/catdog/dataset:FuzzDecode \
	./models/catdog/dataset:FuzzReadCache \
	./models/catdog/dataset:FuzzEXIFOrientation \
	./models/catdog:FuzzReadMeta

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -parallel $(FUZZPARALLEL) $$pkg; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./bench

# Ours and PyTorch's MLP6 in one interleaved run; writes bench/RESULTS.md and
# the README's benchmark table. DEVICES=cpu,cuda adds the CUDA build.
# It runs twice: with the machine's OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE,
# then with both removed for both sides (bench/RESULTS-openblas-unset.md).
bench-compare:
	$(GO) run ./bench/compare -count $(COUNT) -devices $(DEVICES) \
		-python $(PYTHON) -torch $(TORCH_SCRIPT)
	$(GO) run ./bench/compare -count $(COUNT) -devices $(DEVICES) \
		-python $(PYTHON) -torch $(TORCH_SCRIPT) \
		-openblas unset -out bench/RESULTS-openblas-unset.md -readme ''

demo: build
	rm -rf $(DEMO)
	$(BIN)/catdog-train --out $(DEMO) --lr-schedule cosine
	$(GO) run ./cmd/catdog-samples --out $(DEMO)/samples --n 6
	$(BIN)/catdog-predict --model $(DEMO) $(DEMO)/samples

# The CUDA backend is in every cgo build (it loads the CUDA libraries at run
# time). gpu-bundle builds the device tests' binaries (cudadl; backend/cuda
# in both device layers, cuda.test and, where the CUDA headers are, the cu
# layer's cuda-cu.test; models/catdog's model-on-CUDA test; the zoo of plain-Gorgonia graphs), the benchmarks
# and the commands for a GPU machine without Go, packed small enough to
# carry there with run.sh beside them: `OUT=$$OUT bash $(GPU_BUNDLE)/run.sh` on it
# (bench/gpu-run.sh says what it runs). The binaries load OpenBLAS at run
# time where they find it, gonum's BLAS otherwise; where OpenBLAS is
# installed here, the bundle carries it and the libraries it needs (lib/),
# which run.sh puts on LD_LIBRARY_PATH where the GPU machine has no
# OpenBLAS of its own, so that the CPU side of "CUDA against the CPU" is
# measured there with OpenBLAS.
GPU_BUNDLE  ?= build/gpu
OPENBLAS_LIB ?= $(shell ldconfig -p 2>/dev/null | awk '/libopenblas\.so\.0 / {print $$NF; exit}')

gpu-bundle:
	rm -rf $(GPU_BUNDLE)
	mkdir -p $(GPU_BUNDLE)/bin
	$(GO) test -c -ldflags='-s -w' -o $(GPU_BUNDLE)/bin/cudadl.test ./internal/cudadl
	$(GO) test -c -ldflags='-s -w' -o $(GPU_BUNDLE)/bin/cuda.test ./backend/cuda
	GO=$(GO) internal/cubuild/cu.sh test-binary $(GPU_BUNDLE)/bin/cuda-cu.test
	$(GO) test -c -ldflags='-s -w' -o $(GPU_BUNDLE)/bin/catdog.test ./models/catdog
	$(GO) test -c -ldflags='-s -w' -o $(GPU_BUNDLE)/bin/zoo.test ./backend/backendtest/zoo
	$(GO) test -c -ldflags='-s -w' -o $(GPU_BUNDLE)/bin/bench.test ./bench
ifneq ($(OPENBLAS_LIB),)
	mkdir -p $(GPU_BUNDLE)/bin/lib
	for l in $(OPENBLAS_LIB) $$(ldd $(OPENBLAS_LIB) | awk '/gfortran|quadmath/ {print $$3}'); do cp -L $$l $(GPU_BUNDLE)/bin/lib/; done
endif
	$(GO) build -ldflags='-s -w' -o $(GPU_BUNDLE)/bin/ ./cmd/...
	cp bench/torch_mlp6.py bench/torch_cnn.py bench/torch_alloc.py $(GPU_BUNDLE)/bin/
	printf 'commit=%s%s\ngo=%s\n' "$$(git rev-parse --short=12 HEAD)" "$$(test -z "$$(git status --porcelain)" || echo ' (dirty tree)')" "$$($(GO) env GOVERSION)" >$(GPU_BUNDLE)/bin/BUILD
	tar cJf $(GPU_BUNDLE)/bundle.tar.xz -C $(GPU_BUNDLE)/bin .
	rm -rf $(GPU_BUNDLE)/bin
	cp bench/gpu-run.sh $(GPU_BUNDLE)/run.sh
	@du -sh $(GPU_BUNDLE)

clean:
	rm -rf $(BIN) $(DEMO) $(GPU_BUNDLE)

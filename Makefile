# Neurone. `make demo` trains on the built-in data; `make test` runs the tests.
#
# OpenBLAS is used for the CPU's matrix products when libopenblas is
# installed (Debian: libopenblas-dev); otherwise gonum's pure-Go BLAS.
# Override with `make BLAS=gonum` or `make BLAS=openblas`.

GO      ?= go
BIN     ?= bin
BLAS    ?= $(shell (ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so ') && echo openblas || echo gonum)
TAGS    := $(if $(filter openblas,$(BLAS)),openblas,)
GOFLAGS_TAGS := -tags '$(TAGS)'
DEMO    ?= demo-out
# bench-compare: PyTorch beside our benchmarks (see bench/compare).
PYTHON  ?= python3
TORCH_SCRIPT ?= ../shared/bench/torch_mlp6.py
COUNT   ?= 5
DEVICES ?= cpu

.PHONY: all build test test-gonum vet bench bench-compare demo clean gpu-bundle

all: build

build:
	@echo "BLAS: $(BLAS)"
	$(GO) build $(GOFLAGS_TAGS) -o $(BIN)/ ./cmd/...

vet:
	$(GO) vet ./...
	$(GO) vet -tags openblas ./...
	CGO_ENABLED=0 $(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)

# The whole suite with the chosen BLAS, then the BLAS-dependent packages
# with the other one, so both builds stay correct.
test: vet
	@echo "BLAS: $(BLAS)"
	$(GO) test $(GOFLAGS_TAGS) -timeout 15m ./...
ifeq ($(BLAS),openblas)
	$(GO) test -timeout 10m ./internal/blas ./ops ./backend/...
endif

bench:
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -bench . -benchmem -timeout 60m ./bench

# Ours and PyTorch's MLP6 in one interleaved run; writes bench/RESULTS.md and
# the README's benchmark table. DEVICES=cpu,cuda adds the CUDA build.
bench-compare:
	$(GO) run ./bench/compare -count $(COUNT) -devices $(DEVICES) -blas $(BLAS) \
		-python $(PYTHON) -torch $(TORCH_SCRIPT)

demo: build
	rm -rf $(DEMO)
	$(BIN)/catdog-train --out $(DEMO) --lr-schedule cosine
	$(GO) run $(GOFLAGS_TAGS) ./cmd/catdog-samples --out $(DEMO)/samples --n 6
	$(BIN)/catdog-predict --model $(DEMO) $(DEMO)/samples

# The CUDA backend is in every cgo build (it loads the CUDA libraries at run
# time). gpu-bundle builds the device tests' binaries (cudadl, backend/cuda,
# and models/catdog's model-on-CUDA test), the benchmarks and the commands,
# with the pure-Go BLAS so they need no OpenBLAS, for a GPU machine without
# Go, packed small enough to carry there with run.sh beside them:
# `OUT=$$OUT bash $(GPU_BUNDLE)/run.sh` on it (bench/gpu-run.sh says what it
# runs). Where OpenBLAS is installed here, it adds bench-openblas.test and
# the shared libraries it loads (lib/), so that the CPU side of "CUDA
# against the CPU" is measured there with OpenBLAS, not the pure-Go BLAS.
# PyTorch's MLP6 script is bench/torch_mlp6.py, or $(TORCH_SCRIPT) where
# the tree has none.
GPU_BUNDLE  ?= build/gpu

gpu-bundle:
	rm -rf $(GPU_BUNDLE)
	mkdir -p $(GPU_BUNDLE)/bin
	$(GO) test -c -ldflags='-s -w' -o $(GPU_BUNDLE)/bin/cudadl.test ./internal/cudadl
	$(GO) test -c -ldflags='-s -w' -o $(GPU_BUNDLE)/bin/cuda.test ./backend/cuda
	$(GO) test -c -ldflags='-s -w' -o $(GPU_BUNDLE)/bin/catdog.test ./models/catdog
	$(GO) test -c -ldflags='-s -w' -o $(GPU_BUNDLE)/bin/bench.test ./bench
ifeq ($(BLAS),openblas)
	$(GO) test -c -tags openblas -ldflags='-s -w' -o $(GPU_BUNDLE)/bin/bench-openblas.test ./bench
	mkdir -p $(GPU_BUNDLE)/bin/lib
	for l in $$(ldd $(GPU_BUNDLE)/bin/bench-openblas.test | awk '/openblas|gfortran|quadmath/ {print $$3}'); do cp -L $$l $(GPU_BUNDLE)/bin/lib/; done
endif
	$(GO) build -ldflags='-s -w' -o $(GPU_BUNDLE)/bin/ ./cmd/...
	@for s in bench/torch_mlp6.py $(TORCH_SCRIPT); do if [ -f $$s ]; then cp $$s $(GPU_BUNDLE)/bin/; exit 0; fi; done; \
		echo "no bench/torch_mlp6.py nor $(TORCH_SCRIPT): PyTorch's MLP6 figures will be missing"
	cp bench/torch_cnn.py $(GPU_BUNDLE)/bin/
	printf 'commit=%s%s\ngo=%s\n' "$$(git rev-parse --short=12 HEAD)" "$$(test -z "$$(git status --porcelain)" || echo ' (dirty tree)')" "$$($(GO) env GOVERSION)" >$(GPU_BUNDLE)/bin/BUILD
	tar cJf $(GPU_BUNDLE)/bundle.tar.xz -C $(GPU_BUNDLE)/bin .
	rm -rf $(GPU_BUNDLE)/bin
	cp bench/gpu-run.sh $(GPU_BUNDLE)/run.sh
	@du -sh $(GPU_BUNDLE)

clean:
	rm -rf $(BIN) $(DEMO) $(GPU_BUNDLE)

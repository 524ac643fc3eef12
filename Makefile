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

.PHONY: all build test test-gonum vet bench bench-compare demo clean

all: build

build:
	@echo "BLAS: $(BLAS)"
	$(GO) build $(GOFLAGS_TAGS) -o $(BIN)/ ./cmd/...

vet:
	$(GO) vet ./...
	$(GO) vet -tags openblas ./...
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
	$(BIN)/catdog-train --out $(DEMO)
	$(GO) run $(GOFLAGS_TAGS) ./cmd/catdog-samples --out $(DEMO)/samples --n 6
	$(BIN)/catdog-predict --model $(DEMO) $(DEMO)/samples

clean:
	rm -rf $(BIN) $(DEMO)

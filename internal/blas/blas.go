// Package blas chooses, once per process and at run time, the BLAS that
// Neurone's CPU kernels call: OpenBLAS, loaded with dlopen where it is
// installed, or gonum's pure-Go BLAS where it is not. One binary thus runs
// at OpenBLAS's speed on a machine that has it and still runs on one that
// does not; no build tag is involved.
//
// # Overview
//
// The choice is made on first use (Load, Impl, Name, ...). The environment
// variable NEURONE_BLAS forces it: "openblas" (then a missing OpenBLAS is
// an error, not a fallback), "gonum", or "auto", the same as unset.
// OpenBLAS is looked for under the names distributions give it
// (libopenblas.so.0; libopenblasp.so.0 and libopenblaso.so.0 for its
// pthreads and OpenMP builds), then as libblas.so.3 when that library is
// OpenBLAS, along the dynamic loader's usual path (LD_LIBRARY_PATH,
// ldconfig's cache).
//
// With OpenBLAS, the matrix products (Sgemm, Dgemm), nearly all of a
// training step's arithmetic, run in OpenBLAS; the other routines are
// gonum's. The same choice is given to Gorgonia (gorgonia.Use), so that
// Gorgonia's own ops in a graph use it too. This is the only place in the
// project where either choice is made.
//
// # Errors
//
// Load returns the one error there can be: NEURONE_BLAS asks for what
// cannot be had (an unknown name, or OpenBLAS where none loads). Impl
// panics with that error, so callers that can report it (backend.Open)
// call Load first.
//
// # Concurrency
//
// Everything here is safe for concurrent use, except that SetThreads must
// not run while a product does (OpenBLAS does not promise that it is safe).
// Choosing also sets Gorgonia's global BLAS, so make the choice (Load)
// before running Gorgonia's own ops on other goroutines.
package blas

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	gonumblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

// Setting is the environment variable that forces a BLAS: "openblas",
// "gonum" or "auto".
const Setting = "NEURONE_BLAS"

// Kinds of BLAS, as Kind returns them and NEURONE_BLAS spells them.
const (
	OpenBLAS = "openblas"
	Gonum    = "gonum"
)

// ErrSetting says NEURONE_BLAS asks for a BLAS that cannot be had.
var ErrSetting = errors.New("blas: " + Setting)

// errNoOpenBLAS says no OpenBLAS could be loaded; the wrapping error says
// why.
var errNoOpenBLAS = errors.New("no OpenBLAS could be loaded")

// Implementation is a complete BLAS, as Gorgonia takes it.
type Implementation interface {
	gonumblas.Float32
	gonumblas.Float64
	gonumblas.Complex64
	gonumblas.Complex128
}

// The choice, made once.
var chosen struct {
	once sync.Once
	impl Implementation
	lib  *openBLAS // nil unless OpenBLAS runs the products
	note string    // with gonum's: why
	err  error
}

func choose() {
	chosen.once.Do(func() {
		chosen.lib, chosen.note, chosen.err = decide(os.Getenv(Setting), loadOpenBLAS)
		switch {
		case chosen.err != nil:
			return
		case chosen.lib != nil:
			chosen.impl = chosen.lib
		default:
			chosen.impl = gonum.Implementation{}
		}
		G.Use(chosen.impl)
	})
}

// decide applies the setting (NEURONE_BLAS's value) with load finding
// OpenBLAS; it returns the OpenBLAS to use (nil for gonum's) and, for
// gonum's, why.
func decide(setting string, load func() (*openBLAS, error)) (*openBLAS, string, error) {
	switch strings.ToLower(strings.TrimSpace(setting)) {
	case "", "auto":
		lib, err := load()
		if err != nil {
			return nil, "no OpenBLAS found, install it for several times faster products (Debian: libopenblas0)", nil
		}
		return lib, "", nil
	case Gonum:
		return nil, Setting + "=" + Gonum, nil
	case OpenBLAS:
		lib, err := load()
		if err != nil {
			return nil, "", fmt.Errorf("%w=%s, but %w", ErrSetting, OpenBLAS, err)
		}
		return lib, "", nil
	}
	return nil, "", fmt.Errorf("%w=%q: want %s, %s or auto", ErrSetting, setting, OpenBLAS, Gonum)
}

// Load makes the choice, if it is not made yet, and returns the error
// NEURONE_BLAS's value causes, if any.
func Load() error {
	choose()
	return chosen.err
}

// Impl returns the chosen BLAS. It panics with Load's error if there is one.
func Impl() Implementation {
	choose()
	if chosen.err != nil {
		panic(chosen.err)
	}
	return chosen.impl
}

// Kind returns OpenBLAS or Gonum, whichever runs the products, or "" when
// Load fails.
func Kind() string {
	switch choose(); {
	case chosen.lib != nil:
		return OpenBLAS
	case chosen.err == nil:
		return Gonum
	}
	return ""
}

// Name says which BLAS runs the products, for start-up messages and
// benchmark headers: "OpenBLAS 0.3.21, Haswell kernels, 2 threads", or
// "gonum, pure Go; " and the reason it was chosen.
func Name() string {
	choose()
	switch {
	case chosen.err != nil:
		return "none (" + chosen.err.Error() + ")"
	case chosen.lib == nil:
		return "gonum, pure Go; " + chosen.note
	}
	s := "OpenBLAS"
	if v := chosen.lib.version(); v != "" {
		s += " " + v
	}
	if c := chosen.lib.core(); c != "" {
		s += ", " + c + " kernels"
	}
	if n := chosen.lib.threads(); n == 1 {
		s += ", 1 thread"
	} else {
		s += fmt.Sprintf(", %d threads", n)
	}
	return s
}

// SerialMNK is the size m·n·k up to which a matrix product runs on the
// calling thread: OpenBLAS (GEMM_MULTITHREAD_THRESHOLD 4 × 65536) starts its
// threads only above it. Kernels that make many small products, such as a
// convolution's one per image, split them below it, because on matrices
// that small OpenBLAS's threads cost more than they give (measured on
// 2 cores: a 16×72 by 72×2500 product took 0.19 ms threaded, 0.10 ms as
// single-threaded slices).
const SerialMNK = 4 * 65536

// Threads returns how many threads the BLAS's own pool uses for a large
// product (OpenBLAS's openblas_get_num_threads), or 0 for a BLAS without
// one (gonum's, which runs on goroutines).
func Threads() int {
	if choose(); chosen.lib == nil {
		return 0
	}
	return chosen.lib.threads()
}

// SetThreads sets, for the whole process, how many threads the BLAS's own
// pool may use, and returns the number before; n < 1 means 1. It does
// nothing to a BLAS without a pool. A product's result depends on it by
// rounding only: with some kernels (Haswell's, Zen's) OpenBLAS adds a
// product's sums in another order when threaded, so one thread and several
// can give different last bits; a given number of threads always gives the
// same bits. Fewer threads help a program whose own loops already keep the
// cores busy between products, such as a convolution's per image: after a
// threaded product, OpenBLAS's idle threads wait spinning for a while,
// taking cores from those loops.
func SetThreads(n int) int {
	before := Threads()
	if before > 0 {
		chosen.lib.setThreads(max(n, 1))
	}
	return before
}

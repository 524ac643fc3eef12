// Package blas selects the BLAS implementation the CPU kernels call. The
// choice is made at build time: with the build tag "openblas" the kernels
// call OpenBLAS through gonum.org/v1/netlib (cgo, linked with -lopenblas);
// without it they call gonum's pure-Go BLAS. This is the only place in the
// project where that choice is made.
package blas

import gonumblas "gonum.org/v1/gonum/blas"

// Implementation is a BLAS for both float32 and float64.
type Implementation interface {
	gonumblas.Float32
	gonumblas.Float64
}

// Impl is the BLAS every CPU kernel uses.
var Impl Implementation = impl

// Name says which BLAS Impl is, for start-up messages.
const Name = name

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
func Threads() int { return threads() }

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
	before := threads()
	if before > 0 {
		setThreads(max(n, 1))
	}
	return before
}

// Package cpu runs Neurone graphs on the CPU. Importing it registers the
// "cpu" kind with backend.Open.
//
// # Overview
//
// Compile plans the graph once with the planner every backend shares
// (backend/internal/plan), which keeps only the nodes each mode needs
// (training, evaluation, prediction); it gives every node a buffer of its own,
// and then runs each op's UsePreallocDo into that buffer on every call: a
// training step allocates nothing. Unlike Gorgonia's tape machine, buffers
// are never shared between nodes, so no intermediate can be overwritten
// before it is read (Gorgonia issue 576), and gradient nodes that no
// parameter needs (such as the gradient of the input images) are never
// computed. A reshape (flatten) shares its input's memory instead of
// copying it. Ops that depend on the mode (dropout) run through their
// ModeDo, in training mode with the step number in Train (see package
// backend). Gorgonia's standard ops that the planner recognises
// (plan.OpOf: products of matrices, G.BroadcastAdd of a row bias, same-shape
// additions and products, the bias gradient Σ[0], reshapes, the sigmoid and
// tanh) run as the project's ops they compute, with their fusions, G.Rectify
// with the bias before it as one pass; Gorgonia's other ops run through
// their UsePreallocDo or Do.
//
// The planner joins a bias addition with the activation after it, an
// activation's gradient with the bias gradient (the sum over rows or
// channels) after it, and a batch normalisation's three gradients, which
// then run as single passes over the data (fuse.go); a convolutional
// block's bias or batch normalisation, ReLU and 2×2 max pooling run as one
// pass that writes only the pooled maps and where each window's maximum
// is, and their gradients as one pass from those (relupool.go); and large
// element-wise passes are split across cores. These passes run the ops'
// own loops in the same order, so their results are bit-identical to
// running the ops one by one. With
// plain SGD, a weight's update is folded into the matrix product that
// computes its gradient (the product adds −lr·dW to the weights directly),
// which differs from the separate update by float32 rounding only.
//
// Matrix products call the BLAS chosen when the process first needs one:
// OpenBLAS, loaded at run time where it is installed, gonum's pure-Go BLAS
// otherwise, or the one the environment variable NEURONE_BLAS ("openblas",
// "gonum") asks for; Name says which. Opening "cpu" fails when
// NEURONE_BLAS asks for a BLAS that cannot be loaded. Parameters live in
// their nodes' values and are updated in place.
package cpu

import (
	"fmt"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/internal/blas"
)

func init() {
	backend.Register("cpu", func(index int) (backend.Backend, error) {
		if index != 0 {
			return nil, backend.ErrUnavailable
		}
		if err := blas.Load(); err != nil {
			return nil, fmt.Errorf("%w: cpu: %w", backend.ErrUnavailable, err)
		}
		return New(), nil
	})
}

// Backend is the CPU backend.
type Backend struct{}

// New returns the CPU backend.
func New() *Backend { return &Backend{} }

// Name says "cpu" and which BLAS runs the matrix products, e.g.
// "cpu (OpenBLAS 0.3.21, Haswell kernels, 2 threads)".
func (*Backend) Name() string { return "cpu (" + BLAS() + ")" }

// String is Name, so that printing a Backend says what runs.
func (b *Backend) String() string { return b.Name() }

// BLAS says which BLAS runs the matrix products, with its version, kernels
// and threads for OpenBLAS, and why for gonum's pure-Go BLAS.
func BLAS() string { return blas.Name() }

// BLASThreads returns how many threads the BLAS's own pool uses for a
// large matrix product (OpenBLAS's, set by OPENBLAS_NUM_THREADS or
// SetBLASThreads), or 0 when the BLAS has none (gonum's runs on
// goroutines).
func BLASThreads() int { return blas.Threads() }

// SetBLASThreads sets, for the whole process, how many threads the BLAS's
// own pool may use (n < 1 means 1), and returns the number before; it does
// nothing without such a pool. Results change with it by rounding only
// (the last bits of some sums), and speed.
//
// A perceptron's large products want all the cores. A convolutional
// network's products are small and its convolutions already spread the
// images over the cores; OpenBLAS's threads, spinning idle for a while
// after each threaded product, then take cores from them: on 2 cores the
// default cat/dog CNN trained about 19% faster with 1 BLAS thread.
//
// Set it before the programs run, from one goroutine: OpenBLAS does not
// promise that changing it while a product runs is safe.
func SetBLASThreads(n int) int { return blas.SetThreads(n) }

// Close does nothing: the CPU backend holds no device resources.
func (*Backend) Close() error { return nil }

// Compile plans spec for repeated execution.
func (b *Backend) Compile(spec backend.Spec) (backend.Program, error) {
	return compile(spec)
}

// Package backend turns a Gorgonia graph built from Neurone's ops into
// something that runs training steps and inference on a device.
//
// # Overview
//
// A Backend is opened by name (Open("cpu"), Open("cuda:0"), Open("auto")).
// Compile takes a Spec — the graph's fed inputs, its scalar loss, the
// outputs to read back, the learnable parameters with their gradient nodes
// and the optimizer — and returns a Program. A Program runs
//
//   - Train: forward, loss, backward and the optimizer update, in place on
//     the device that holds the parameters;
//   - Evaluate: forward and loss, reading the outputs back;
//   - Predict: forward only.
//
// # Modes
//
// Some ops compute something else while training: dropout masks its input
// in Train and is the identity in Evaluate and Predict. Such ops implement
// ops.ModeDoer. A backend runs every node of the n-th training step (the
// forward and the backward pass alike) in ops.Mode{Train: true, Step: n},
// n being the optimizer's step count after that step's update (1 for the
// first Train of a fresh program; a program given a saved optimizer state
// continues from its Step), and Evaluate and Predict in the zero Mode. The
// dropout mask is then a pure function of the op's seed, n and the element
// index (ops.DropoutMask), so every backend draws the same masks and a
// resumed run draws those an uninterrupted one would have.
//
// Only the fed inputs go in and the loss (and requested outputs) come out:
// parameters and optimizer state stay on the device until Sync copies them
// back into the parameter nodes' values (for checkpoints), and Load copies
// them the other way.
//
// # Data parallelism
//
// A Spec with a Communicator (Spec.Comm, e.g. comm.FromEnv's under
// mpirun) trains one model over the communicator's ranks, one process
// each, every rank compiling the same graph. Rank r of n feeds the r-th of
// n equal shards of each global batch (its Inputs' first axis is the
// shard), and then
//
//   - Compile and Load broadcast rank 0's parameters and Updates' buffers,
//     and SetOptimizerState rank 0's optimizer state, so all ranks start
//     equal (these calls are collective: every rank makes them);
//   - Train averages the gradients over the ranks after the backward pass
//     and before the optimizer step (in buckets of a few MB, in the order
//     the backward pass makes them), so every rank applies the same
//     update, and returns the loss averaged over the ranks: with a loss
//     that is a mean over the batch, the global batch's loss and gradient
//     (up to float32 rounding), as one process would compute them;
//   - dropout draws, in each rank, the masks of its shard's samples in the
//     global batch (ops.Mode.Sample), so the masks are those of one
//     process too;
//   - batch normalisation normalises each shard by its own statistics
//     (per-rank, as PyTorch's BatchNorm without SyncBatchNorm), so a
//     network with it does not compute what one process would; its
//     running statistics are averaged over the ranks after each step,
//     which keeps them equal on every rank.
//
// Evaluate and Predict run on each rank alone. A backend that cannot
// average gradients returns ErrUnsupported from Compile.
//
// # Errors
//
// An op a backend cannot run is reported by Compile, naming the op and the
// node (ErrUnsupported). Opening a backend that is not built in, or whose
// device is absent, returns ErrUnavailable with a message saying what to do.
//
// # Concurrency
//
// A Backend and its Programs are not safe for concurrent use; use one
// goroutine per Program. Close releases what a Program or Backend holds.
package backend

import (
	"errors"
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
)

// Sentinel errors.
var (
	ErrUnavailable = errors.New("backend: not available")
	ErrUnsupported = errors.New("backend: unsupported op")
	ErrSpec        = errors.New("backend: invalid spec")
	ErrClosed      = errors.New("backend: closed")
)

// Backend compiles graphs for one device.
type Backend interface {
	// Name says what runs, e.g. "cpu (OpenBLAS)" or "cuda:0 (NVIDIA H100)".
	Name() string
	// Compile plans the graph of spec once for repeated execution.
	Compile(spec Spec) (Program, error)
	// Close releases the device.
	Close() error
}

// Spec is what a Program computes.
type Spec struct {
	// Inputs are fed by the caller on every call, in this order (for a
	// classifier: the images, then the targets).
	Inputs []*G.Node
	// Loss is the scalar the optimizer minimises. It may be nil for an
	// inference-only Program.
	Loss *G.Node
	// Outputs are read back by Evaluate and Predict (e.g. probabilities).
	Outputs []*G.Node
	// Params are the learnable parameters, each bound to a float32 value
	// that holds its initial (or loaded) contents.
	Params []*G.Node
	// Grads holds, for each of Params, its gradient node (see graph.Grad).
	Grads []*G.Node
	// Optimizer updates Params in Train.
	Optimizer optim.Optimizer
	// Updates are the state a training step refreshes besides the
	// parameters (graph.Model.Updates: batch normalisation's running
	// statistics): after each Train, each Value, computed from that
	// step's inputs, replaces its Buffer's contents. Buffers stay on the
	// device with the parameters; Sync and Load move them too.
	Updates []graph.Update
	// Comm, when set, trains one model over the ranks of a data-parallel
	// run (see Data parallelism in the package documentation); nil trains
	// alone.
	Comm comm.Communicator
	// AllowTF32 lets a backend compute matrix products with TensorFloat-32
	// (inputs rounded to 10-bit mantissas, float32 sums), as PyTorch's
	// allow_tf32 does. Backends without such a mode ignore it.
	AllowTF32 bool
}

// Program runs a compiled Spec.
//
// An input given as nil keeps the value fed by the previous call (zeros
// before the first), so a caller that trains on one batch repeatedly, or a
// benchmark, moves nothing to the device. A backend may read the caller's
// slices in place (the CPU does), so leave a batch unchanged while
// reusing it with nil.
type Program interface {
	// Train feeds inputs (one flat row-major slice per Spec.Inputs), runs
	// forward and backward, updates the parameters, and returns the loss
	// computed before the update.
	Train(inputs ...[]float32) (loss float32, err error)
	// Evaluate runs forward and the loss, and copies each of Spec.Outputs
	// into outputs (which may be nil to skip reading them back).
	Evaluate(outputs [][]float32, inputs ...[]float32) (loss float32, err error)
	// Predict runs forward to Spec.Outputs only; inputs that the outputs do
	// not depend on (such as targets) may be nil.
	Predict(outputs [][]float32, inputs ...[]float32) error
	// OptimizerState returns the optimizer's state (a copy).
	OptimizerState() (*optim.State, error)
	// SetOptimizerState replaces the optimizer's state, e.g. on resume.
	SetOptimizerState(*optim.State) error
	// SetLearningRate sets the learning rate of the Train calls that
	// follow (a training loop calls it before each step with the rate its
	// optim.Rate gives); the rest of the optimizer and its state are
	// unchanged. lr must be positive and
	// finite (ErrSpec otherwise).
	SetLearningRate(lr float64) error
	// Sync copies the parameters and the Updates' buffers from the
	// device into their nodes' values.
	Sync() error
	// Load copies the Params' and the Updates' buffers' values to the
	// device, after they were changed on the host (e.g. loaded from a
	// checkpoint).
	Load() error
	// Close releases the Program's buffers.
	Close() error
}

// Validate checks that the spec can be compiled: something to compute, a
// scalar loss with one gradient per parameter and a valid optimizer, and
// float32 inputs and parameter values. Backends call it from Compile.
func (spec Spec) Validate() error {
	if len(spec.Outputs) == 0 && spec.Loss == nil {
		return fmt.Errorf("%w: nothing to compute (no loss, no outputs)", ErrSpec)
	}
	if spec.Loss != nil {
		if !spec.Loss.IsScalar() {
			return fmt.Errorf("%w: loss %v has shape %v, want a scalar", ErrSpec, spec.Loss, spec.Loss.Shape())
		}
		if len(spec.Grads) != len(spec.Params) {
			return fmt.Errorf("%w: %d parameters but %d gradients", ErrSpec, len(spec.Params), len(spec.Grads))
		}
		if err := spec.Optimizer.Validate(); err != nil {
			return fmt.Errorf("%w: %w", ErrSpec, err)
		}
	}
	for _, prm := range spec.Params {
		v, ok := prm.Value().(*tensor.Dense)
		if !ok || v.Dtype() != tensor.Float32 {
			return fmt.Errorf("%w: parameter %s has no float32 tensor value", ErrSpec, prm.Name())
		}
	}
	for _, in := range spec.Inputs {
		if in.Dtype() != tensor.Float32 {
			return fmt.Errorf("%w: input %s is %v, want float32", ErrSpec, in.Name(), in.Dtype())
		}
	}
	for _, u := range spec.Updates {
		if spec.Loss == nil {
			return fmt.Errorf("%w: update of %s without a loss: only training updates state", ErrSpec, u.Buffer.Name())
		}
		v, ok := u.Buffer.Value().(*tensor.Dense)
		if !ok || v.Dtype() != tensor.Float32 || !u.Buffer.IsVar() {
			return fmt.Errorf("%w: updated buffer %s is not a leaf with a float32 tensor value", ErrSpec, u.Buffer.Name())
		}
		if !u.Value.Shape().Eq(u.Buffer.Shape()) {
			return fmt.Errorf("%w: update of %s %v has shape %v", ErrSpec, u.Buffer.Name(), u.Buffer.Shape(), u.Value.Shape())
		}
	}
	return nil
}

// TrainSpec is the Spec that trains m towards o with opt: its inputs are
// m.Input then o.Targets, and its output is m.Output.
func TrainSpec(m *graph.Model, o *graph.Objective, opt optim.Optimizer) Spec {
	return Spec{
		Inputs: []*G.Node{m.Input, o.Targets}, Loss: o.Loss, Outputs: []*G.Node{m.Output},
		Params: o.Params, Grads: o.Grads, Optimizer: opt, Updates: m.Updates(),
	}
}

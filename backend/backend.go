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
// Only the fed inputs go in and the loss (and requested outputs) come out:
// parameters and optimizer state stay on the device until Sync copies them
// back into the parameter nodes' values (for checkpoints), and Load copies
// them the other way.
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

	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/graph"
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
	Optimizer graph.Optimizer
}

// Program runs a compiled Spec.
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
	OptimizerState() (*graph.OptimizerState, error)
	// SetOptimizerState replaces the optimizer's state, e.g. on resume.
	SetOptimizerState(*graph.OptimizerState) error
	// SetLearningRate sets the learning rate of the Train calls that
	// follow (a schedule calls it between steps or epochs); the rest of
	// the optimizer and its state are unchanged. lr must be positive and
	// finite (ErrSpec otherwise).
	SetLearningRate(lr float64) error
	// Sync copies the parameters from the device into the Params' values.
	Sync() error
	// Load copies the Params' values to the device, after they were
	// changed on the host (e.g. loaded from a checkpoint).
	Load() error
	// Close releases the Program's buffers.
	Close() error
}

// TrainSpec is the Spec that trains m towards o with opt: its inputs are
// m.Input then o.Targets, and its output is m.Output.
func TrainSpec(m *graph.Model, o *graph.Objective, opt graph.Optimizer) Spec {
	return Spec{
		Inputs: []*G.Node{m.Input, o.Targets}, Loss: o.Loss, Outputs: []*G.Node{m.Output},
		Params: o.Params, Grads: o.Grads, Optimizer: opt,
	}
}

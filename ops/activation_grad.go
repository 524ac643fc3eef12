package ops

import "github.com/neurone-dl/neurone/internal/cpukernels"

// The gradients of the activations of activation.go, computed from the
// activation's input or output x and the gradient dy of its output.
type (
	// ReLUBackwardOp computes ReLUOp's gradient dx = dy·[x > 0] from
	// (x, dy).
	ReLUBackwardOp struct{ fixedMap[reluBackward] }

	// SigmoidBackwardOp computes SigmoidOp's gradient dx = dy·y·(1-y)
	// from (y, dy).
	SigmoidBackwardOp struct{ fixedMap[sigmoidBackward] }

	// TanhBackwardOp computes TanhOp's gradient dx = dy·(1-y²) from
	// (y, dy).
	TanhBackwardOp struct{ fixedMap[tanhBackward] }
)

type (
	reluBackward    struct{}
	sigmoidBackward struct{}
	tanhBackward    struct{}
)

func (reluBackward) spec() spec {
	return spec{name: "ReLUBackward", arity: 2, k32: cpukernels.ReLUBackward[float32], k64: cpukernels.ReLUBackward[float64]}
}

func (sigmoidBackward) spec() spec {
	return spec{name: "SigmoidBackward", arity: 2, k32: cpukernels.SigmoidBackward[float32], k64: cpukernels.SigmoidBackward[float64]}
}

func (tanhBackward) spec() spec {
	return spec{name: "TanhBackward", arity: 2, k32: cpukernels.TanhBackward[float32], k64: cpukernels.TanhBackward[float64]}
}

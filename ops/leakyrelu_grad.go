package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// LeakyReLUBackwardOp computes LeakyReLUOp's gradient from (x, dy).
type LeakyReLUBackwardOp struct {
	elementwise
	notDiffable
	Alpha float64
}

// UsePreallocDo computes the gradient into prealloc.
func (op LeakyReLUBackwardOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return mapDo(op, p, vs, op.Alpha, cpukernels.LeakyReLUBackward[float32], cpukernels.LeakyReLUBackward[float64])
}

// Kernel returns the float32 loop of Do (see cpukernels.Elementwise).
func (op LeakyReLUBackwardOp) Kernel() (cpukernels.Map[float32], float32) {
	return cpukernels.LeakyReLUBackward[float32], float32(op.Alpha)
}

func (op LeakyReLUBackwardOp) String() string { return fmt.Sprintf("LeakyReLUBackward(%g)", op.Alpha) }

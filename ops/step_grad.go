package ops

import (
	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// StepBackwardOp computes StepOp's gradient from (x, dy): 0, or
// dy·[|x| <= 1] with StraightThrough.
type StepBackwardOp struct {
	elementwise
	notDiffable
	StraightThrough bool
}

// UsePreallocDo computes the gradient into prealloc.
func (op StepBackwardOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	if op.StraightThrough {
		return mapDo(op, p, vs, 0, cpukernels.StraightThrough[float32], cpukernels.StraightThrough[float64])
	}
	return mapDo(op, p, vs, 0, cpukernels.Zero[float32], cpukernels.Zero[float64])
}

func (op StepBackwardOp) String() string {
	if op.StraightThrough {
		return "StepBackward(straight-through)"
	}
	return "StepBackward"
}

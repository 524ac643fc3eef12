package ops

import (
	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// SoftmaxBackwardOp computes SoftmaxOp's gradient dx = y ⊙ (dy − Σ_c
// dy_c·y_c), row by row, from (y, dy).
type SoftmaxBackwardOp struct{ fixed[softmaxBackward] }

type softmaxBackward struct{}

func (softmaxBackward) spec() spec {
	return spec{name: "SoftmaxBackward", arity: 2, rule: lastAxis,
		run: func(op ruled, p G.Value, vs []G.Value) (G.Value, error) {
			return rowsDo(op, p, vs, cpukernels.SoftmaxBackwardRows[float32], cpukernels.SoftmaxBackwardRows[float64])
		}}
}

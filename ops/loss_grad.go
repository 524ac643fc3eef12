package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// LossBackwardOp computes a LossOp's gradient with respect to the
// predictions from (predictions, targets, dL).
type LossBackwardOp struct {
	pure
	notDiffable
	Kind LossKind
	Dims int
}

// Arity is 3.
func (op LossBackwardOp) Arity() int { return 3 }

// Type is Tensor a → Tensor a → a → Tensor a.
func (op LossBackwardOp) Type() hm.Type {
	t := tensorT(op.Dims)
	return hm.NewFnType(t, t, typeA, t)
}

// rule: the gradient has the predictions' shape.
func (op LossBackwardOp) rule(in shapes) (tensor.Shape, error) {
	return in[0], op.Kind.check(in[0], in[1])
}

// UsePreallocDo computes the gradient into prealloc.
func (op LossBackwardOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	out, dt, err := prepare(op, p, vs, 2)
	if err != nil {
		return nil, err
	}
	dL, err := scalar(vs[2])
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	cols, _ := op.Kind.classes(vs[0].Shape()) // checked by prepare
	if dt == tensor.Float32 {
		lossGrad(op.Kind, f32(out), f32(vs[0]), f32(vs[1]), dL, cols)
	} else {
		lossGrad(op.Kind, f64(out), f64(vs[0]), f64(vs[1]), dL, cols)
	}
	return out, nil
}

// lossGrad is the gradient kernel of a loss of kind k.
func lossGrad[T cpukernels.Float](k LossKind, dst, pred, target []T, dL float64, cols int) {
	switch k {
	case BCEWithLogitsLoss:
		cpukernels.BCEWithLogitsGrad(dst, pred, target, dL)
	case MSELoss:
		cpukernels.MSEGrad(dst, pred, target, dL)
	default:
		cpukernels.SoftmaxCrossEntropyGrad(dst, pred, target, dL, cols)
	}
}

func (op LossBackwardOp) String() string { return op.Kind.String() + "Backward" }

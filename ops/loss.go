package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// LossKind selects the formula of a LossOp.
type LossKind int

// The losses LossOp computes.
const (
	BCEWithLogitsLoss       LossKind = iota // binary cross-entropy from logits
	MSELoss                                 // mean squared error
	SoftmaxCrossEntropyLoss                 // cross-entropy of a softmax over the last axis, from logits
)

// LossOp is a mean loss of a prediction tensor against a target tensor of
// the same shape, returning a scalar:
//
//   - binary cross-entropy from logits z and targets y in [0, 1]:
//     mean(max(z,0) − z·y + log(1+e^−|z|)), equal to
//     −mean(y·log σ(z) + (1−y)·log(1−σ(z))) but finite for any z: it fuses
//     the last sigmoid into the loss. Gradient dz = (σ(z) − y)/N.
//   - mean squared error of predictions p: mean((p − y)²). Gradient
//     dp = 2(p − y)/N.
//   - cross-entropy of the softmax of logits z along the last axis against
//     targets y that are, row by row, distributions over the classes (one-hot
//     labels, or smoothed ones): the mean over the R rows of
//     −Σ_c y_c·log softmax(z)_c = (Σ_c y_c)·logsumexp(z) − Σ_c y_c·z_c,
//     finite for any z. Gradient dz = (softmax(z)·Σ_c y_c − y)/R. The mean is
//     over rows (samples), not elements, as in PyTorch's CrossEntropyLoss.
//
// Targets are data, not parameters: the loss is differentiable with respect
// to its first input only.
type LossOp struct {
	pure
	Kind LossKind
	Dims int // number of dimensions of the inputs
}

// BCEWithLogits returns the scalar node of the mean binary cross-entropy of
// logits against targets.
func BCEWithLogits(logits, targets *G.Node) (*G.Node, error) {
	return apply(LossOp{Kind: BCEWithLogitsLoss, Dims: logits.Dims()}, logits, targets)
}

// MSE returns the scalar node of the mean squared error of predictions
// against targets.
func MSE(predictions, targets *G.Node) (*G.Node, error) {
	return apply(LossOp{Kind: MSELoss, Dims: predictions.Dims()}, predictions, targets)
}

// SoftmaxCrossEntropy returns the scalar node of the mean cross-entropy of
// the softmax of logits (samples × classes, classes along the last axis)
// against targets, each row a distribution over the classes.
func SoftmaxCrossEntropy(logits, targets *G.Node) (*G.Node, error) {
	return apply(LossOp{Kind: SoftmaxCrossEntropyLoss, Dims: logits.Dims()}, logits, targets)
}

// Arity is 2.
func (op LossOp) Arity() int { return 2 }

// Type is Tensor a → Tensor a → a.
func (op LossOp) Type() hm.Type {
	t := tensorT(op.Dims)
	return hm.NewFnType(t, t, typeA)
}

// rule: predictions and targets of one shape give a scalar.
func (op LossOp) rule(in shapes) (tensor.Shape, error) {
	if err := op.Kind.check(in[0], in[1]); err != nil {
		return nil, err
	}
	return tensor.ScalarShape(), nil
}

// check is the shape rule of a loss of kind k and its gradient:
// predictions and targets of one shape, with a last axis of classes for
// the softmax cross-entropy.
func (k LossKind) check(pred, target tensor.Shape) error {
	if !pred.Eq(target) {
		return fmt.Errorf("%w: %v: predictions %v and targets %v differ", ErrShape, k, pred.Clone(), target.Clone())
	}
	_, err := k.classes(pred)
	return err
}

// classes is the length of the axis a loss of kind k normalises over: the
// last one for the softmax cross-entropy, 1 (every element on its own)
// otherwise.
// (It takes no op to name in its error: converting one to an interface at
// every call would allocate in each training step.)
func (k LossKind) classes(s tensor.Shape) (int, error) {
	if k != SoftmaxCrossEntropyLoss {
		return 1, nil
	}
	if s.Dims() == 0 || s[s.Dims()-1] == 0 {
		return 0, fmt.Errorf("%w: %v needs classes along a last axis, got shape %v", ErrShape, k, s.Clone())
	}
	return s[s.Dims()-1], nil
}

// UsePreallocDo computes the loss into prealloc.
func (op LossOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	out, dt, err := prepare(op, p, vs, 2)
	if err != nil {
		return nil, err
	}
	cols, _ := op.Kind.classes(vs[0].Shape()) // checked by prepare
	if dt == tensor.Float32 {
		return out, setScalar(out, lossValue(op.Kind, f32(vs[0]), f32(vs[1]), cols))
	}
	return out, setScalar(out, lossValue(op.Kind, f64(vs[0]), f64(vs[1]), cols))
}

// lossValue is the kernel of a loss of kind k; cols is LossKind.classes.
func lossValue[T cpukernels.Float](k LossKind, pred, target []T, cols int) float64 {
	switch k {
	case BCEWithLogitsLoss:
		return cpukernels.BCEWithLogits(pred, target)
	case MSELoss:
		return cpukernels.MSE(pred, target)
	}
	return cpukernels.SoftmaxCrossEntropy(pred, target, cols)
}

// DiffWRT reports the predictions differentiable, the targets not.
func (op LossOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	d[0] = true
	return d
}

// SymDiff returns LossBackward(pred, target, dL) for the predictions.
func (op LossOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d, err := apply(LossBackwardOp{Kind: op.Kind, Dims: op.Dims}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d, nil}, nil
}

func (op LossOp) String() string { return op.Kind.String() }

func (k LossKind) String() string {
	switch k {
	case BCEWithLogitsLoss:
		return "BCEWithLogits"
	case MSELoss:
		return "MSE"
	case SoftmaxCrossEntropyLoss:
		return "SoftmaxCrossEntropy"
	}
	return fmt.Sprintf("LossKind(%d)", int(k))
}

package ops

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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

// InferShape checks that both inputs have one shape and returns the scalar shape.
func (op LossOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, 2, ds)
	if err != nil {
		return nil, err
	}
	if !s[0].Eq(s[1]) {
		return nil, fmt.Errorf("%w: %v: predictions %v and targets %v differ", ErrShape, op, s[0], s[1])
	}
	if _, err := op.Kind.classes(s[0]); err != nil {
		return nil, err
	}
	return tensor.ScalarShape(), nil
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

// Do computes the loss.
func (op LossOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the loss into prealloc.
func (op LossOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, err
	}
	if pred, target := vs[0].Shape(), vs[1].Shape(); !pred.Eq(target) {
		return nil, fmt.Errorf("%w: %v: predictions %v and targets %v differ", ErrShape, op, pred.Clone(), target.Clone())
	}
	cols, err := op.Kind.classes(vs[0].Shape())
	if err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, vs...)
	if err != nil {
		return nil, err
	}
	out, err := output(op, p, dt, tensor.ScalarShape())
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		return out, setScalar(out, lossValue(op.Kind, slice[float32](vs[0]), slice[float32](vs[1]), cols))
	}
	return out, setScalar(out, lossValue(op.Kind, slice[float64](vs[0]), slice[float64](vs[1]), cols))
}

// lossValue accumulates in float64; cols is LossKind.classes.
func lossValue[T Float](kind LossKind, pred, target []T, cols int) float64 {
	if kind == SoftmaxCrossEntropyLoss {
		return softmaxXentValue(pred, target, cols)
	}
	var s float64
	for i, p := range pred {
		z, y := float64(p), float64(target[i])
		switch kind {
		case BCEWithLogitsLoss:
			s += max(z, 0) - z*y + math.Log1p(math.Exp(-math.Abs(z)))
		case MSELoss:
			s += (z - y) * (z - y)
		}
	}
	return s / float64(len(pred))
}

// softmaxXentValue is the mean over rows of (Σ y)·logsumexp(z) − Σ y·z.
func softmaxXentValue[T Float](logits, target []T, cols int) float64 {
	var s float64
	for r := 0; r+cols <= len(logits); r += cols {
		z, y := logits[r:r+cols], target[r:r+cols]
		m, e := rowLogSumExp(z)
		lse := m + math.Log(e)
		for c, v := range z {
			s += float64(y[c]) * (lse - float64(v))
		}
	}
	return s / float64(len(logits)/cols)
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
func (op LossOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op LossOp) Hashcode() uint32      { return hashOf(op) }

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

// InferShape returns the predictions' shape.
func (op LossBackwardOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, 3, ds)
	if err != nil {
		return nil, err
	}
	if !s[0].Eq(s[1]) {
		return nil, fmt.Errorf("%w: %v: predictions %v and targets %v differ", ErrShape, op, s[0], s[1])
	}
	if _, err := op.Kind.classes(s[0]); err != nil {
		return nil, err
	}
	return s[0].Clone(), nil
}

// Do computes the gradient.
func (op LossBackwardOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the gradient into prealloc.
func (op LossBackwardOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, err
	}
	pred, target := vs[0].Shape(), vs[1].Shape()
	if !pred.Eq(target) {
		return nil, fmt.Errorf("%w: %v: predictions %v and targets %v differ", ErrShape, op, pred.Clone(), target.Clone())
	}
	dL, err := scalar(vs[2])
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	cols, err := op.Kind.classes(pred)
	if err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, vs[0], vs[1])
	if err != nil {
		return nil, err
	}
	out, err := output(op, p, dt, pred)
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		lossGrad(op.Kind, slice[float32](out), slice[float32](vs[0]), slice[float32](vs[1]), dL, cols)
	} else {
		lossGrad(op.Kind, slice[float64](out), slice[float64](vs[0]), slice[float64](vs[1]), dL, cols)
	}
	return out, nil
}

func lossGrad[T Float](kind LossKind, dst, pred, target []T, dL float64, cols int) {
	if kind == SoftmaxCrossEntropyLoss {
		softmaxXentGrad(dst, pred, target, dL, cols)
		return
	}
	scale := dL / float64(len(dst))
	for i, p := range pred {
		z, y := float64(p), float64(target[i])
		switch kind {
		case BCEWithLogitsLoss:
			dst[i] = T((sigmoid(z) - y) * scale)
		case MSELoss:
			dst[i] = T(2 * (z - y) * scale)
		}
	}
}

// softmaxXentGrad writes dz = dL·(softmax(z)·Σ y − y)/rows.
func softmaxXentGrad[T Float](dst, logits, target []T, dL float64, cols int) {
	scale := dL / float64(len(dst)/cols)
	for r := 0; r+cols <= len(dst); r += cols {
		z, y := logits[r:r+cols], target[r:r+cols]
		m, e := rowLogSumExp(z)
		var sy float64
		for _, v := range y {
			sy += float64(v)
		}
		for c, v := range z {
			dst[r+c] = T((math.Exp(float64(v)-m)/e*sy - float64(y[c])) * scale)
		}
	}
}

func (op LossBackwardOp) String() string        { return op.Kind.String() + "Backward" }
func (op LossBackwardOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op LossBackwardOp) Hashcode() uint32      { return hashOf(op) }

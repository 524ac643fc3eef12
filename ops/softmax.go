package ops

import (
	"fmt"
	"hash"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// lastAxis is embedded by ops that keep their inputs' shape, as
// element-wise ops do, but treat each run of elements along the last axis
// (a row of a batch×classes matrix) as a whole.
type lastAxis struct{ elementwise }

// InferShape returns the common shape of the inputs, which must have a
// last axis.
func (l lastAxis) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := l.elementwise.InferShape(ds...)
	if err != nil {
		return nil, err
	}
	if s.Dims() == 0 || s[s.Dims()-1] == 0 {
		return nil, fmt.Errorf("%w: softmax op needs classes along a last axis, got shape %v", ErrShape, s)
	}
	return s, nil
}

// rowsDo runs a last-axis op: it checks the inputs, then calls the loop
// for their dtype on the output (prealloc, or a new value) with the length
// of the last axis.
func rowsDo[O G.Op](op O, prealloc G.Value, vs []G.Value, f32 func(dst, a, b []float32, cols int), f64 func(dst, a, b []float64, cols int)) (G.Value, error) {
	out, dt, err := sameShapeOutput(op, prealloc, vs)
	if err != nil {
		return nil, err
	}
	shape := vs[0].Shape()
	if shape.Dims() == 0 || shape[shape.Dims()-1] == 0 {
		return nil, fmt.Errorf("%w: %v needs classes along a last axis, got shape %v", ErrShape, op, shape.Clone())
	}
	cols := shape[shape.Dims()-1]
	if dt == tensor.Float32 {
		f32(slice[float32](out), slice[float32](vs[0]), second[float32](vs), cols)
	} else {
		f64(slice[float64](out), slice[float64](vs[0]), second[float64](vs), cols)
	}
	return out, nil
}

// SoftmaxOp is the softmax along the last axis: for each row x of C
// values, y_c = e^(x_c − m) / Σ_k e^(x_k − m) with m = max_k x_k, which
// never overflows. Its gradient dx = y ⊙ (dy − Σ_c dy_c·y_c), per row, is
// computed from the output by SoftmaxBackwardOp.
//
// Training a classifier, prefer SoftmaxCrossEntropy on the logits to a
// softmax followed by a logarithm: it is exact where probabilities round
// to 0.
type SoftmaxOp struct{ lastAxis }

// Softmax returns the node of the softmax of x along its last axis.
func Softmax(x *G.Node) (*G.Node, error) { return apply(SoftmaxOp{lastAxis{elementwise{arity: 1}}}, x) }

// Do computes the softmax.
func (op SoftmaxOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the softmax into prealloc.
func (op SoftmaxOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return rowsDo(op, p, vs, softmaxRows[float32], softmaxRows[float64])
}

// softmaxRows writes the softmax of each row of cols elements of x to dst,
// summing in float64.
func softmaxRows[T Float](dst, x, _ []T, cols int) {
	for r := 0; r+cols <= len(dst); r += cols {
		row, out := x[r:r+cols], dst[r:r+cols]
		m, s := rowLogSumExp(row)
		for c, v := range row {
			out[c] = T(math.Exp(float64(v)-m) / s)
		}
	}
}

// rowLogSumExp returns m = max(row) and s = Σ e^(row_c − m), in float64:
// log Σ e^row = m + log s, and s ≥ 1.
func rowLogSumExp[T Float](row []T) (m, s float64) {
	m = math.Inf(-1)
	for _, v := range row {
		m = max(m, float64(v))
	}
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	return m, s
}

// DiffWRT reports x differentiable.
func (op SoftmaxOp) DiffWRT(n int) []bool { return allTrue(n) }

// SymDiff returns SoftmaxBackward(y, dy).
func (op SoftmaxOp) SymDiff(_ G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(SoftmaxBackwardOp{lastAxis: lastAxis{elementwise{arity: 2}}}, out, grad)
	return G.Nodes{dx}, err
}

func (op SoftmaxOp) String() string        { return "Softmax" }
func (op SoftmaxOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op SoftmaxOp) Hashcode() uint32      { return hashOf(op) }

// SoftmaxBackwardOp computes dx = y ⊙ (dy − Σ_c dy_c·y_c), row by row,
// from (y, dy).
type SoftmaxBackwardOp struct {
	lastAxis
	notDiffable
}

// Do computes the gradient.
func (op SoftmaxBackwardOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the gradient into prealloc.
func (op SoftmaxBackwardOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return rowsDo(op, p, vs, softmaxBackwardRows[float32], softmaxBackwardRows[float64])
}

func softmaxBackwardRows[T Float](dst, y, dy []T, cols int) {
	for r := 0; r+cols <= len(dst); r += cols {
		var dot float64
		for c, v := range y[r : r+cols] {
			dot += float64(v) * float64(dy[r+c])
		}
		for c, v := range y[r : r+cols] {
			dst[r+c] = T(float64(v) * (float64(dy[r+c]) - dot))
		}
	}
}

func (op SoftmaxBackwardOp) String() string        { return "SoftmaxBackward" }
func (op SoftmaxBackwardOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op SoftmaxBackwardOp) Hashcode() uint32      { return hashOf(op) }

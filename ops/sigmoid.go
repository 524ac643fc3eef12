package ops

import (
	"hash"
	"math"

	G "gorgonia.org/gorgonia"
)

// SigmoidOp is the logistic function y = 1/(1+e^-x), computed without
// overflow for large |x|. Its gradient dx = dy·y·(1-y) is computed from the
// output by SigmoidBackwardOp.
type SigmoidOp struct{ elementwise }

// Sigmoid returns the node σ(x).
func Sigmoid(x *G.Node) (*G.Node, error) { return apply(SigmoidOp{elementwise{arity: 1}}, x) }

// Do computes σ(x).
func (op SigmoidOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes σ(x) into prealloc.
func (op SigmoidOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return mapDo(op, p, vs, 0, sigmoidKernel[float32], sigmoidKernel[float64])
}

// sigmoid is σ(x) in float64, stable on both sides.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func sigmoidKernel[T Float](dst, a, b []T, _ T) {
	for i, v := range a[:len(dst)] {
		dst[i] = T(sigmoid(float64(v)))
	}
}

// DiffWRT reports x differentiable.
func (op SigmoidOp) DiffWRT(n int) []bool { return allTrue(n) }

// SymDiff returns SigmoidBackward(y, dy).
func (op SigmoidOp) SymDiff(_ G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(SigmoidBackwardOp{elementwise: elementwise{arity: 2}}, out, grad)
	return G.Nodes{dx}, err
}

// Kernel returns the float32 loop of Do (see ElementwiseKernel).
func (op SigmoidOp) Kernel() (Float32Kernel, float32) { return sigmoidKernel[float32], 0 }

func (op SigmoidOp) String() string        { return "Sigmoid" }
func (op SigmoidOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op SigmoidOp) Hashcode() uint32      { return hashOf(op) }

// SigmoidBackwardOp computes dx = dy·y·(1-y) from (y, dy).
type SigmoidBackwardOp struct {
	elementwise
	notDiffable
}

// Do computes the gradient.
func (op SigmoidBackwardOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the gradient into prealloc.
func (op SigmoidBackwardOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return mapDo(op, p, vs, 0, sigmoidBackwardKernel[float32], sigmoidBackwardKernel[float64])
}

func sigmoidBackwardKernel[T Float](dst, a, b []T, _ T) {
	y, dy := a[:len(dst)], b[:len(dst)]
	for i, v := range y {
		dst[i] = dy[i] * v * (1 - v)
	}
}

// Kernel returns the float32 loop of Do (see ElementwiseKernel).
func (op SigmoidBackwardOp) Kernel() (Float32Kernel, float32) {
	return sigmoidBackwardKernel[float32], 0
}

func (op SigmoidBackwardOp) String() string        { return "SigmoidBackward" }
func (op SigmoidBackwardOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op SigmoidBackwardOp) Hashcode() uint32      { return hashOf(op) }

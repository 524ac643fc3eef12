package ops

import (
	"hash"

	G "gorgonia.org/gorgonia"
)

// ReLUOp is the rectified linear unit, y = max(x, 0). Its gradient is
// dx = dy where x > 0 and 0 elsewhere (at x = 0 too), computed by
// ReLUBackwardOp.
type ReLUOp struct{ elementwise }

// ReLU returns the node max(x, 0).
func ReLU(x *G.Node) (*G.Node, error) { return apply(ReLUOp{elementwise{arity: 1}}, x) }

// Do computes max(x, 0).
func (op ReLUOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes max(x, 0) into prealloc.
func (op ReLUOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return mapDo(op, p, vs, 0, reluKernel[float32], reluKernel[float64])
}

func reluKernel[T Float](dst, a, b []T, _ T) {
	x := a[:len(dst)]
	for i, v := range x {
		dst[i] = max(v, 0)
	}
}

// DiffWRT reports x differentiable.
func (op ReLUOp) DiffWRT(n int) []bool { return allTrue(n) }

// SymDiff returns ReLUBackward(x, dy).
func (op ReLUOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(ReLUBackwardOp{elementwise: elementwise{arity: 2}}, in[0], grad)
	return G.Nodes{dx}, err
}

// Kernel returns the float32 loop of Do (see ElementwiseKernel).
func (op ReLUOp) Kernel() (Float32Kernel, float32) { return reluKernel[float32], 0 }

func (op ReLUOp) String() string        { return "ReLU" }
func (op ReLUOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op ReLUOp) Hashcode() uint32      { return hashOf(op) }

// ReLUBackwardOp computes dx = dy·[x > 0] from (x, dy).
type ReLUBackwardOp struct {
	elementwise
	notDiffable
}

// Do computes dy·[x > 0].
func (op ReLUBackwardOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes dy·[x > 0] into prealloc.
func (op ReLUBackwardOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return mapDo(op, p, vs, 0, reluBackwardKernel[float32], reluBackwardKernel[float64])
}

func reluBackwardKernel[T Float](dst, a, b []T, _ T) {
	x, dy := a[:len(dst)], b[:len(dst)]
	for i, v := range x {
		dst[i] = sel(v > 0, 0, dy[i])
	}
}

// Kernel returns the float32 loop of Do (see ElementwiseKernel).
func (op ReLUBackwardOp) Kernel() (Float32Kernel, float32) { return reluBackwardKernel[float32], 0 }

func (op ReLUBackwardOp) String() string        { return "ReLUBackward" }
func (op ReLUBackwardOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op ReLUBackwardOp) Hashcode() uint32      { return hashOf(op) }

package ops

import (
	"hash"

	G "gorgonia.org/gorgonia"
)

// StepOp is the Heaviside step, y = 1 for x > 0 and 0 otherwise: the
// activation of the first artificial neurons.
//
// Its true derivative is 0 everywhere except at 0, where it does not exist,
// so gradient descent cannot train through it: with StraightThrough false
// the gradient is exactly 0. With StraightThrough true the backward pass
// uses the straight-through estimator dx = dy·[|x| <= 1] (the gradient of the
// hard tanh), which lets layers below a step be trained.
type StepOp struct {
	elementwise
	StraightThrough bool
}

// Step returns the node step(x).
func Step(x *G.Node, straightThrough bool) (*G.Node, error) {
	return apply(StepOp{elementwise{arity: 1}, straightThrough}, x)
}

// Do computes step(x).
func (op StepOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes step(x) into prealloc.
func (op StepOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return mapDo(op, p, vs, 0, stepKernel[float32], stepKernel[float64])
}

func stepKernel[T Float](dst, a, b []T, _ T) {
	for i, v := range a[:len(dst)] {
		dst[i] = sel[T](v > 0, 0, 1)
	}
}

// DiffWRT reports x differentiable (with a zero or straight-through gradient).
func (op StepOp) DiffWRT(n int) []bool { return allTrue(n) }

// SymDiff returns StepBackward(x, dy).
func (op StepOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(StepBackwardOp{elementwise{arity: 2}, notDiffable{}, op.StraightThrough}, in[0], grad)
	return G.Nodes{dx}, err
}

func (op StepOp) String() string {
	if op.StraightThrough {
		return "Step(straight-through)"
	}
	return "Step"
}
func (op StepOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op StepOp) Hashcode() uint32      { return hashOf(op) }

// StepBackwardOp computes the step's gradient from (x, dy): 0, or
// dy·[|x| <= 1] with StraightThrough.
type StepBackwardOp struct {
	elementwise
	notDiffable
	StraightThrough bool
}

// Do computes the gradient.
func (op StepBackwardOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the gradient into prealloc.
func (op StepBackwardOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	if op.StraightThrough {
		return mapDo(op, p, vs, 0, steThroughKernel[float32], steThroughKernel[float64])
	}
	return mapDo(op, p, vs, 0, zeroKernel[float32], zeroKernel[float64])
}

func steThroughKernel[T Float](dst, a, b []T, _ T) {
	x, dy := a[:len(dst)], b[:len(dst)]
	for i, v := range x {
		dst[i] = sel(v >= -1 && v <= 1, 0, dy[i])
	}
}

func zeroKernel[T Float](dst, _, _ []T, _ T) { clear(dst) }

func (op StepBackwardOp) String() string {
	if op.StraightThrough {
		return "StepBackward(straight-through)"
	}
	return "StepBackward"
}
func (op StepBackwardOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op StepBackwardOp) Hashcode() uint32      { return hashOf(op) }

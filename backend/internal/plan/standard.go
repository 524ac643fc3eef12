package plan

import (
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/ops"
)

// Graphs written with Gorgonia's standard ops (G.Mul, G.BroadcastAdd,
// G.Rectify, G.Sigmoid, ...) hold, for what Neurone's builders express
// as one op each, Gorgonia's unexported ops, sometimes several: a row
// bias added by G.BroadcastAdd is Reshape(1, n) of the bias, its Repeat0
// to the batch's rows (a copy), and an addition of equal shapes; its
// gradient is Σ[0] and a Reshape. StandardOps rewrites each such node as
// the project's op that computes the same (OpOf), reading the same
// values, so that a backend runs it on its own kernels and fusions; the
// nodes that only fed the rewritten ones (the Repeat, the SizeOf) are then
// needed by nothing and not planned. Gorgonia's ops are recognised by
// what they say of themselves (String, arity) and their operands' shapes,
// their types being unexported.

// StandardOps, passed to New with the fusions, plans Gorgonia's standard
// ops that OpOf recognises as the project's ops it returns (Plan.Op,
// Plan.Inputs). It joins no nodes.
var StandardOps = &Fusion{Name: "Gorgonia's standard ops as Neurone's", Rewrite: OpOf}

// OpOf returns the project's op that computes what node n, one of
// Gorgonia's standard ops, computes, and the values it reads, or nil:
//
//	A × B, Aᵀ × B, ... of two matrices   MatMulOp (the same transposes)
//	x + Repeat0(Reshape(1, n)(b), ·)     BiasAddOp(x, b), b a vector of n
//	a + b, a ⊙ b of one shape            AddOp, MulOp
//	Σ[0] of a matrix                     SumRowsOp
//	Reshape of a tensor                  ReshapeOp
//	sigmoid, tanh of a tensor            SigmoidOp, TanhOp
//
// Only float32 and float64 tensors (not scalars) are rewritten. The
// products and sums may round differently from Gorgonia's (another BLAS
// call, sums in another order), and the sigmoid and tanh are computed in
// float64: the results agree with Gorgonia's to float32 rounding.
func OpOf(n *G.Node) (G.Op, []*G.Node) {
	op := n.Op()
	if op == nil || !floatTensor(n) {
		return nil, nil
	}
	in := children(n)
	if len(in) != op.Arity() || !allFloatTensors(in) {
		return nil, nil
	}
	s := op.String()
	switch {
	case len(in) == 2 && isMatMul(s) && n.Dims() == 2 && in[0].Dims() == 2 && in[1].Dims() == 2:
		return ops.MatMulOp{TransA: strings.HasPrefix(s, "Aᵀ"), TransB: strings.HasSuffix(s, "Bᵀ")}, in
	case len(in) == 2 && s == "+ false":
		if x, b := rowBias(n, in); x != nil { // the repeated bias has n's shape too
			return ops.BiasAddOp{}, []*G.Node{x, b}
		}
		if sameShape(n, in) {
			return ops.AddOp{}, in
		}
	case len(in) == 2 && s == "⊙ false" && sameShape(n, in):
		return ops.MulOp{}, in
	case len(in) == 1 && s == "Σ[0]" && in[0].Dims() == 2 && n.Dims() == 1:
		return ops.SumRowsOp{}, in
	case len(in) == 1 && strings.HasPrefix(s, "Reshape") && in[0].Shape().TotalSize() == n.Shape().TotalSize():
		return ops.ReshapeOp{From: in[0].Shape().Clone(), To: n.Shape().Clone()}, in
	case len(in) == 1 && s == "sigmoid" && sameShape(n, in):
		return ops.SigmoidOp{}, in
	case len(in) == 1 && s == "tanh" && sameShape(n, in):
		return ops.TanhOp{}, in
	}
	return nil, nil
}

// isMatMul reports whether s names a product of Gorgonia's linear algebra
// op (a batched product says the same: the caller checks for matrices).
func isMatMul(s string) bool {
	switch s {
	case "A × B", "Aᵀ × B", "A × Bᵀ", "Aᵀ × Bᵀ":
		return true
	}
	return false
}

// rowBias returns x and b when n, an addition of in, adds the vector b
// repeated over the rows of the matrix x, as G.BroadcastAdd(x, b, nil,
// []byte{0}) (or with the operands swapped) builds it.
func rowBias(n *G.Node, in []*G.Node) (x, b *G.Node) {
	shape := n.Shape()
	if shape.Dims() != 2 {
		return nil, nil
	}
	for k, r := range in {
		other := in[1-k]
		if r.Op() == nil || r.Op().String() != "Repeat0" || !other.Shape().Eq(shape) || !r.Shape().Eq(shape) {
			continue
		}
		rs := children(r)
		if len(rs) == 0 || rs[0].Op() == nil || !strings.HasPrefix(rs[0].Op().String(), "Reshape") || !rs[0].Shape().Eq(tensor.Shape{1, shape[1]}) {
			continue
		}
		if v := children(rs[0]); len(v) == 1 && v[0].Dims() == 1 && v[0].Shape()[0] == shape[1] && v[0].Dtype() == n.Dtype() {
			return other, v[0]
		}
	}
	return nil, nil
}

// BiasRectify joins G.Rectify's two nodes, mask = (x ≥ 0) and x ⊙ mask,
// and the bias addition x when it is one (a BiasAddOp, of a plan with
// StandardOps), which accept reports the backend runs, into one step: a
// layer's output then streams through memory once. Its Nodes are the bias
// addition (when joined), the mask, then the product; the step reads
// what they read (the bias addition's operands or x, and the constant
// zero). The mask stays available to the gradient, which reads it.
func BiasRectify(accept func(out *G.Node) bool) *Fusion {
	return &Fusion{Name: "bias+rectify", Group: func(p *Plan, n *G.Node) []*G.Node {
		if n.Op() == nil || n.Op().String() != "⊙ false" || !accept(n) {
			return nil
		}
		in := p.Inputs(n)
		for k, m := range in {
			x := in[1-k]
			if !isRectifyMask(p, m, x) {
				continue
			}
			if _, bias := p.Op(x).(ops.BiasAddOp); bias && p.kinds[x] == Computed && p.group[x] == nil {
				return []*G.Node{x, m, n}
			}
			return []*G.Node{m, n}
		}
		return nil
	}}
}

// isRectifyMask reports whether m is x ≥ 0, as 1 and 0 of x's type
// (Gorgonia's ">= true" of x and a constant zero).
func isRectifyMask(p *Plan, m, x *G.Node) bool {
	if m.Op() == nil || m.Op().String() != ">= true" || !m.Shape().Eq(x.Shape()) {
		return false
	}
	in := p.Inputs(m)
	if len(in) != 2 || in[0] != x || p.kinds[in[1]] != Const {
		return false
	}
	switch v := in[1].Value().(type) {
	case *G.F32:
		return float32(*v) == 0
	case *G.F64:
		return float64(*v) == 0
	}
	return false
}

// children returns the nodes n reads, in order.
func children(n *G.Node) []*G.Node {
	var in []*G.Node
	it := n.Graph().From(n.ID())
	for it.Next() {
		in = append(in, it.Node().(*G.Node))
	}
	return in
}

func floatTensor(n *G.Node) bool {
	dt := n.Dtype()
	return (dt == tensor.Float32 || dt == tensor.Float64) && !n.Shape().IsScalar()
}

func allFloatTensors(nodes []*G.Node) bool {
	for _, n := range nodes {
		if !floatTensor(n) {
			return false
		}
	}
	return true
}

// sameShape reports whether every node of in has n's shape and type.
func sameShape(n *G.Node, in []*G.Node) bool {
	for _, c := range in {
		if !c.Shape().Eq(n.Shape()) || c.Dtype() != n.Dtype() {
			return false
		}
	}
	return true
}

package cuda

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// Gorgonia's products (G.Mul, G.OuterProd, G.BatchedMatMul and the
// products with transposed operands that their gradients are): each one
// SGEMM, or one strided batched SGEMM, with the transposes as flags
// (matmul.go). A matrix-vector product, a dot product and an outer
// product are matrix products with a side of 1.

// Gorgonia's āBinaryOperator values.
const (
	linMatMul = iota
	linMatVec
	linDot
	linOuter
	linBatched
)

func init() { lowerMatching(gorgoniaOp("linAlgBinOp"), lowerLinAlg) }

func lowerLinAlg(n *G.Node, kids []*G.Node) (instrArgs, error) {
	kind, err := opInt(n.Op(), "āBinaryOperator")
	if err != nil {
		return nil, err
	}
	transA, err := opBool(n.Op(), "transA")
	if err != nil {
		return nil, err
	}
	transB, err := opBool(n.Op(), "transB")
	if err != nil {
		return nil, err
	}
	a, b := kids[0].Shape(), kids[1].Shape()
	switch kind {
	case linMatMul:
		if a.Dims() != 2 || b.Dims() != 2 || n.Shape().Dims() != 2 {
			return nil, fmt.Errorf("a matrix product of %v and %v", a, b)
		}
		return product(transA, transB, a, b, n.Shape()[0], n.Shape()[1])
	case linMatVec:
		if a.Dims() != 2 {
			return nil, fmt.Errorf("a matrix-vector product of %v and %v", a, b)
		}
		return product(transA, false, a, []int{b.TotalSize(), 1}, n.Shape().TotalSize(), 1)
	case linDot:
		return product(false, false, []int{1, a.TotalSize()}, []int{b.TotalSize(), 1}, 1, 1)
	case linOuter:
		return product(false, false, []int{a.TotalSize(), 1}, []int{1, b.TotalSize()}, a.TotalSize(), b.TotalSize())
	case linBatched:
		return lowerBatched(transA, transB, n, kids)
	}
	return nil, fmt.Errorf("unknown product %d", kind)
}

// product is row-major C (m×n) = op(A)·op(B) for A and B stored as
// matrices of shapes a and b, checked.
func product(transA, transB bool, a, b []int, m, n int) (instrArgs, error) {
	ra, ka := a[0], a[1]
	if transA {
		ra, ka = ka, ra
	}
	kb, cb := b[0], b[1]
	if transB {
		kb, cb = cb, kb
	}
	if ra != m || cb != n || ka != kb {
		return nil, fmt.Errorf("a product of %v (transposed %v) and %v (transposed %v) into %d×%d", a, transA, b, transB, m, n)
	}
	return gemmArgs{transA: transA, transB: transB, m: m, n: n, k: ka, lda: a[1], ldb: b[1]}, nil
}

// lowerBatched lowers a product of stacks of matrices: the last two axes
// of each operand are the matrices, the axes before them the batch.
func lowerBatched(transA, transB bool, n *G.Node, kids []*G.Node) (instrArgs, error) {
	a, b, c := kids[0].Shape(), kids[1].Shape(), n.Shape()
	d := a.Dims()
	if d < 3 || b.Dims() != d || c.Dims() != d {
		return nil, fmt.Errorf("a batched product of %v and %v into %v", a, b, c)
	}
	batch := a.TotalSize() / (a[d-2] * a[d-1])
	if b.TotalSize()/(b[d-2]*b[d-1]) != batch {
		return nil, fmt.Errorf("a batched product of %v and %v: batches differ", a, b)
	}
	g, err := product(transA, transB, a[d-2:], b[d-2:], c[d-2], c[d-1])
	if err != nil {
		return nil, err
	}
	return batchedArgs{gemmArgs: g.(gemmArgs), batch: batch}, nil
}

// batchedArgs is gemmArgs for each of batch matrices stored one after
// another in each operand: one strided batched SGEMM.
type batchedArgs struct {
	gemmArgs
	batch int
}

func (g batchedArgs) calls(in *instr, _ int, _ bool) []call {
	sa, sb := g.m*g.k, g.k*g.n
	return []call{rowMajor(g.transA, g.transB, g.m, g.n, g.k, in.arg(0), g.lda, sa, in.arg(1), g.ldb, sb, in.result(), g.n, g.m*g.n, g.batch)}
}

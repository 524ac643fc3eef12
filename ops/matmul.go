package ops

import (
	"fmt"
	"github.com/chewxy/hm"
	"hash"

	gonumblas "gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/blas"
)

// MatMulOp is the matrix product C = op(A)·op(B) of two matrices, where
// op(X) is X or its transpose Xᵀ as TransA and TransB say.
//
// With dC the gradient of C, the gradients are
//
//	C = A·B:    dA = dC·Bᵀ   dB = Aᵀ·dC
//	C = Aᵀ·B:   dA = B·dCᵀ   dB = A·dC
//	C = A·Bᵀ:   dA = dC·B    dB = dCᵀ·A
//	C = Aᵀ·Bᵀ:  dA = Bᵀ·dCᵀ  dB = dCᵀ·Aᵀ
//
// each again a MatMulOp, so a backend that runs one SGEMM runs all of them.
type MatMulOp struct {
	pure
	TransA, TransB bool
}

// MatMul returns the node op(a)·op(b).
func MatMul(a, b *G.Node, transA, transB bool) (*G.Node, error) {
	return apply(MatMulOp{TransA: transA, TransB: transB}, a, b)
}

// Arity is 2.
func (op MatMulOp) Arity() int { return 2 }

// Type is Matrix a → Matrix a → Matrix a.
func (op MatMulOp) Type() hm.Type { return fnType(2, 2, 2) }

// sizes checks that a and b can be multiplied and returns m, k and n of
// the product of op(A) (m×k) and op(B) (k×n). It is the one shape rule,
// used when a node is built and each time the op runs.
func (op MatMulOp) sizes(a, b tensor.Shape) (m, k, n int, err error) {
	if a.Dims() != 2 || b.Dims() != 2 {
		return 0, 0, 0, fmt.Errorf("%w: %v needs matrices, got %v and %v", ErrShape, op, a.Clone(), b.Clone())
	}
	m, k = a[0], a[1]
	if op.TransA {
		m, k = k, m
	}
	k2, n := b[0], b[1]
	if op.TransB {
		k2, n = n, k2
	}
	if k != k2 {
		return 0, 0, 0, fmt.Errorf("%w: %v: inner sizes of %v and %v differ (%d vs %d)", ErrShape, op, a.Clone(), b.Clone(), k, k2)
	}
	return m, k, n, nil
}

// InferShape returns (m, n).
func (op MatMulOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, 2, ds)
	if err != nil {
		return nil, err
	}
	m, _, n, err := op.sizes(s[0], s[1])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{m, n}, nil
}

// Do computes the product into a new matrix.
func (op MatMulOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the product into prealloc (allocated when nil).
func (op MatMulOp) UsePreallocDo(prealloc G.Value, vs ...G.Value) (G.Value, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, err
	}
	a, b := vs[0].Shape(), vs[1].Shape()
	m, k, n, err := op.sizes(a, b)
	if err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, vs...)
	if err != nil {
		return nil, err
	}
	c, err := output(op, prealloc, dt, tensor.Shape{m, n})
	if err != nil {
		return nil, err
	}
	if m*n == 0 {
		return c, nil
	}
	ta, tb := op.transposes()
	if dt == tensor.Float32 {
		blas.Impl().Sgemm(ta, tb, m, n, k, 1, slice[float32](vs[0]), a[1], slice[float32](vs[1]), b[1], 0, slice[float32](c), n)
	} else {
		blas.Impl().Dgemm(ta, tb, m, n, k, 1, slice[float64](vs[0]), a[1], slice[float64](vs[1]), b[1], 0, slice[float64](c), n)
	}
	return c, nil
}

// transposes returns the BLAS operations on A and B.
func (op MatMulOp) transposes() (ta, tb gonumblas.Transpose) {
	ta, tb = gonumblas.NoTrans, gonumblas.NoTrans
	if op.TransA {
		ta = gonumblas.Trans
	}
	if op.TransB {
		tb = gonumblas.Trans
	}
	return ta, tb
}

// AccumulateFloat32 computes c = alpha·op(A)·op(B) + beta·c for float32
// matrices a and b, c holding the m×n result. It lets an executor fold
// work into the product, such as an SGD step (alpha = −lr, beta = 1, c the
// weights whose gradient the product is).
func (op MatMulOp) AccumulateFloat32(alpha float32, a, b G.Value, beta float32, c []float32) error {
	m, k, n, err := op.sizes(a.Shape(), b.Shape())
	if err != nil {
		return err
	}
	if a.Dtype() != tensor.Float32 || b.Dtype() != tensor.Float32 {
		return fmt.Errorf("%w: %v: %v and %v, want float32", ErrDtype, op, a.Dtype(), b.Dtype())
	}
	if len(c) != m*n {
		return fmt.Errorf("%w: %v: %d values for a %d×%d result", ErrPrealloc, op, len(c), m, n)
	}
	if m*n == 0 {
		return nil
	}
	ta, tb := op.transposes()
	blas.Impl().Sgemm(ta, tb, m, n, k, alpha, slice[float32](a), a.Shape()[1], slice[float32](b), b.Shape()[1], beta, c, n)
	return nil
}

// DiffWRT reports both inputs differentiable.
func (op MatMulOp) DiffWRT(n int) []bool { return allTrue(n) }

// SymDiff returns dA and dB as products (see the type's documentation).
func (op MatMulOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	a, b := in[0], in[1]
	var da, db *G.Node
	var err error
	switch {
	case !op.TransA && !op.TransB:
		if da, err = MatMul(grad, b, false, true); err == nil {
			db, err = MatMul(a, grad, true, false)
		}
	case op.TransA && !op.TransB:
		if da, err = MatMul(b, grad, false, true); err == nil {
			db, err = MatMul(a, grad, false, false)
		}
	case !op.TransA && op.TransB:
		if da, err = MatMul(grad, b, false, false); err == nil {
			db, err = MatMul(grad, a, true, false)
		}
	default:
		if da, err = MatMul(b, grad, true, true); err == nil {
			db, err = MatMul(grad, a, true, true)
		}
	}
	if err != nil {
		return nil, err
	}
	return G.Nodes{da, db}, nil
}

// String names the op with its transposes, e.g. "MatMul(Aᵀ·B)".
func (op MatMulOp) String() string {
	a, b := "A", "B"
	if op.TransA {
		a = "Aᵀ"
	}
	if op.TransB {
		b = "Bᵀ"
	}
	return "MatMul(" + a + "·" + b + ")"
}

// WriteHash writes the op's identity to h.
func (op MatMulOp) WriteHash(h hash.Hash) { writeHash(h, op) }

// Hashcode returns the op's hash.
func (op MatMulOp) Hashcode() uint32 { return hashOf(op) }

package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
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
	diffable
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

// rule: op(A) (m×k) times op(B) (k×n) is m×n.
func (op MatMulOp) rule(in shapes) (tensor.Shape, error) {
	m, _, n, err := op.sizes(in[0], in[1])
	return tensor.Shape{m, n}, err
}

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
	if dt == tensor.Float32 {
		cpukernels.Gemm(op.TransA, op.TransB, m, n, k, 1, f32(vs[0]), a[1], f32(vs[1]), b[1], 0, f32(c), n)
	} else {
		cpukernels.Gemm(op.TransA, op.TransB, m, n, k, 1, f64(vs[0]), a[1], f64(vs[1]), b[1], 0, f64(c), n)
	}
	return c, nil
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
	cpukernels.Gemm(op.TransA, op.TransB, m, n, k, alpha, f32(a), a.Shape()[1], f32(b), b.Shape()[1], beta, c, n)
	return nil
}

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

package cuda

import (
	"errors"
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/ops"
)

// Matrix products run on cuBLAS, which computes column-major: this family
// has no CUDA C, only the translation of row-major products into cuBLAS
// calls, which the bias gradients and the convolutions make too.

func init() { lowerOp(lowerMatMul) }

// gemmArgs is a row-major product C = op(A)·op(B), op(A) m×k and op(B)
// k×n, A and B stored with rows of lda and ldb elements: one SGEMM.
type gemmArgs struct {
	transA, transB bool
	m, n, k        int
	lda, ldb       int
}

func lowerMatMul(op ops.MatMulOp, n *G.Node, kids []*G.Node) (instrArgs, error) {
	a, b := kids[0].Shape(), kids[1].Shape()
	if a.Dims() != 2 || b.Dims() != 2 {
		return nil, errors.New("operands are not matrices")
	}
	m, k := a[0], a[1]
	if op.TransA {
		m, k = k, m
	}
	return gemmArgs{transA: op.TransA, transB: op.TransB, m: m, n: n.Shape()[1], k: k, lda: a[1], ldb: b[1]}, nil
}

func (g gemmArgs) calls(in *instr, _ int, _ bool) []call {
	return []call{rowMajor(g.transA, g.transB, g.m, g.n, g.k, in.arg(0), g.lda, 0, in.arg(1), g.ldb, 0, in.result(), g.n, 0, 1)}
}

// region is a place in device memory: element off of buffer buf.
type region struct{ buf, off int }

// gemmCall is a column-major cuBLAS SGEMM, batched with strides between
// the matrices (batch 1: a plain SGEMM).
type gemmCall struct {
	transA, transB bool
	m, n, k        int
	a, b, c        region
	lda, ldb, ldc  int
	sa, sb, sc     int
	batch          int
}

// rowMajor is the cuBLAS call computing row-major C = op(A)·op(B), with
// op(A) m×k and op(B) k×n, A and B stored with rows of lda and ldb
// elements, C with rows of ldc. A row-major r×c matrix is a column-major
// c×r one, so this is Cᵀ = op(B)ᵀ·op(A)ᵀ column-major: the operands swap
// places and keep their transpose flags.
func rowMajor(transA, transB bool, m, n, k int, a region, lda, sa int, b region, ldb, sb int, c region, ldc, sc, batch int) gemmCall {
	return gemmCall{transA: transB, transB: transA, m: n, n: m, k: k,
		a: b, lda: ldb, sa: sb, b: a, ldb: lda, sb: sa, c: c, ldc: ldc, sc: sc, batch: batch}
}

// gemvCall is a column-major cuBLAS SGEMV y = X·1 summing the n columns of
// the m×n matrix X (leading dimension lda): the sum over the rows of a
// row-major n×m matrix.
type gemvCall struct {
	m, n int
	x, y region
	lda  int
}

func sumRowsCall(rows, cols int, x, y region) gemvCall {
	return gemvCall{m: cols, n: rows, x: x, y: y, lda: cols}
}

// cublasArgs returns the error cuBLAS would give for g's sizes and
// leading dimensions (CUBLAS_STATUS_INVALID_VALUE), which the host
// products of cuda-emu and the tests' simulated ones, reading plain
// slices, would not notice by themselves.
func cublasArgs(g gemmCall) error {
	rowsA, rowsB := g.m, g.k // the stored rows of A and B
	if g.transA {
		rowsA = g.k
	}
	if g.transB {
		rowsB = g.n
	}
	switch {
	case g.m < 0 || g.n < 0 || g.k < 0 || g.batch < 1:
		return fmt.Errorf("cublasSgemm: m=%d n=%d k=%d batch=%d", g.m, g.n, g.k, g.batch)
	case g.lda < max(1, rowsA) || g.ldb < max(1, rowsB) || g.ldc < max(1, g.m):
		return fmt.Errorf("cublasSgemm: leading dimensions %d, %d, %d below the rows %d, %d, %d (transA %v, transB %v)",
			g.lda, g.ldb, g.ldc, rowsA, rowsB, g.m, g.transA, g.transB)
	}
	return nil
}

// cublasGemvArgs is cublasArgs for a gemvCall.
func cublasGemvArgs(g gemvCall) error {
	if g.m < 0 || g.n < 0 || g.lda < max(1, g.m) {
		return fmt.Errorf("cublasSgemv: m=%d n=%d lda=%d", g.m, g.n, g.lda)
	}
	return nil
}

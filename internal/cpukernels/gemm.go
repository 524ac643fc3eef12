package cpukernels

import (
	"math/bits"
	"sync"
	"unsafe"

	gonumblas "gonum.org/v1/gonum/blas"

	"github.com/neurone-dl/neurone/internal/blas"
)

// Gemm computes c = alpha·op(a)·op(b) + beta·c for row-major matrices of
// either element type with the BLAS internal/blas selects; op(a) is m×k,
// op(b) k×n, op transposing where transA and transB say. The slices are
// reinterpreted, not converted: no copy, no allocation.
func Gemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	ta, tb := gonumblas.NoTrans, gonumblas.NoTrans
	if transA {
		ta = gonumblas.Trans
	}
	if transB {
		tb = gonumblas.Trans
	}
	if is32[T]() {
		blas.Impl().Sgemm(ta, tb, m, n, k, float32(alpha), as[float32](a), lda, as[float32](b), ldb, float32(beta), as[float32](c), ldc)
		return
	}
	blas.Impl().Dgemm(ta, tb, m, n, k, float64(alpha), as[float64](a), lda, as[float64](b), ldb, float64(beta), as[float64](c), ldc)
}

// gemmColumns is Gemm (alpha 1) with op(b) not transposed, split into blocks of
// columns of b and c small enough (blas.SerialMNK) that the BLAS runs each
// on the calling thread: for the wide, short products of a convolution.
func gemmColumns[T Float](transA bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	step := max(1, blas.SerialMNK/max(m*k, 1))
	for j := 0; j < n; j += step {
		Gemm(transA, false, m, min(step, n-j), k, 1, a, lda, b[j:], ldb, beta, c[j:], ldc)
	}
}

// gemmInnerNT computes c = a·bᵀ + beta·c, a m×k and b n×k, in blocks of the
// inner dimension k small enough (blas.SerialMNK) that the BLAS runs each on
// the calling thread, accumulating into c.
func gemmInnerNT[T Float](m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	step := max(1, blas.SerialMNK/max(m*n, 1))
	for p := 0; p < k; p += step {
		Gemm(false, true, m, n, min(step, k-p), 1, a[p:], lda, b[p:], ldb, beta, c, ldc)
		beta = 1
	}
}

func is32[T Float]() bool {
	var zero T
	return unsafe.Sizeof(zero) == 4
}

// as views x as a slice of U, an element type of the same size.
func as[U, T Float](x []T) []U {
	return unsafe.Slice((*U)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
}

// scratchPools hold the work buffers of the kernels that need one (the
// column matrices of a convolution) by element type and size class (a
// power of two), so that a training step reuses them instead of
// allocating, whatever mix of sizes its layers ask for.
var scratchPools [2][64]sync.Pool

// getScratch returns a buffer of n elements, with any contents; hand it
// back with putScratch.
func getScratch[T Float](n int) *[]T {
	pool := scratchPool[T](n)
	if s, ok := pool.Get().(*[]T); ok {
		*s = (*s)[:n]
		return s
	}
	s := make([]T, n, 1<<bits.Len(uint(max(n, 1)-1)))
	return &s
}

func putScratch[T Float](s *[]T) { scratchPool[T](len(*s)).Put(s) }

func scratchPool[T Float](n int) *sync.Pool {
	class := bits.Len(uint(max(n, 1) - 1))
	if is32[T]() {
		return &scratchPools[0][class]
	}
	return &scratchPools[1][class]
}

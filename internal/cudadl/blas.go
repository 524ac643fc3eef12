//go:build cgo

package cudadl

/*
#include "shim.h"
*/
import "C"

// cuBLAS math modes (cublasMath_t).
const (
	mathDefault = 0
	mathTF32    = 3
)

func checkBLAS(call string, r C.nrn_result) error {
	if r == 0 {
		return nil
	}
	return &Error{Call: call, Code: int(r), Name: BLASStatusName(int(r)), Message: C.GoString(C.nrn_cublasStatusString(r))}
}

// BLASStatusName is the name of a cuBLAS status code, e.g.
// "CUBLAS_STATUS_ALLOC_FAILED" for 3, as Error values carry it.
func BLASStatusName(code int) string {
	names := map[int]string{
		1: "CUBLAS_STATUS_NOT_INITIALIZED", 3: "CUBLAS_STATUS_ALLOC_FAILED", 7: "CUBLAS_STATUS_INVALID_VALUE",
		8: "CUBLAS_STATUS_ARCH_MISMATCH", 11: "CUBLAS_STATUS_MAPPING_ERROR", 13: "CUBLAS_STATUS_EXECUTION_FAILED",
		14: "CUBLAS_STATUS_INTERNAL_ERROR", 15: "CUBLAS_STATUS_NOT_SUPPORTED", 16: "CUBLAS_STATUS_LICENSE_ERROR",
	}
	if n, ok := names[code]; ok {
		return n
	}
	return "CUBLAS_STATUS_UNKNOWN"
}

// BLAS is a cuBLAS handle. cuBLAS is column-major; see Sgemm.
type BLAS struct{ h C.nrn_handle }

// NewBLAS creates a handle in the current context, bound to stream s.
func NewBLAS(s Stream) (*BLAS, error) {
	if err := LoadBLAS(); err != nil {
		return nil, err
	}
	b := &BLAS{}
	if err := checkBLAS("cublasCreate", C.nrn_cublasCreate(&b.h)); err != nil {
		return nil, err
	}
	if err := checkBLAS("cublasSetStream", C.nrn_cublasSetStream(b.h, s.h)); err != nil {
		b.Destroy()
		return nil, err
	}
	return b, nil
}

// SetTF32 lets SGEMM round its inputs to TensorFloat-32 and use tensor
// cores (accumulating in float32), or keeps full float32 arithmetic.
func (b *BLAS) SetTF32(on bool) error {
	mode := mathDefault
	if on {
		mode = mathTF32
	}
	return checkBLAS("cublasSetMathMode", C.nrn_cublasSetMathMode(b.h, C.int(mode)))
}

// SetWorkspace gives cuBLAS a workspace of its own, so that it allocates
// nothing while a stream is being captured. It reports false when this
// cuBLAS has no cublasSetWorkspace.
func (b *BLAS) SetWorkspace(p Ptr, bytes int) (bool, error) {
	r := C.nrn_cublasSetWorkspace(b.h, C.nrn_dptr(p), C.size_t(bytes))
	if r == 15 { // CUBLAS_STATUS_NOT_SUPPORTED: the entry point is missing
		return false, nil
	}
	return true, checkBLAS("cublasSetWorkspace", r)
}

func op(trans bool) C.int {
	if trans {
		return 1 // CUBLAS_OP_T
	}
	return 0 // CUBLAS_OP_N
}

// Sgemm is column-major C = alpha·op(A)·op(B) + beta·C with op(A) m×k,
// op(B) k×n and C m×n.
func (b *BLAS) Sgemm(transA, transB bool, m, n, k int, alpha float32, a Ptr, lda int, bm Ptr, ldb int, beta float32, c Ptr, ldc int) error {
	return checkBLAS("cublasSgemm", C.nrn_cublasSgemm(b.h, op(transA), op(transB), C.int(m), C.int(n), C.int(k),
		C.float(alpha), C.nrn_dptr(a), C.int(lda), C.nrn_dptr(bm), C.int(ldb), C.float(beta), C.nrn_dptr(c), C.int(ldc)))
}

// SgemmBatched is Sgemm on batch matrices at once: matrix i of A, B and C
// starts sa, sb and sc elements after matrix i−1 (a stride of 0 reuses one
// matrix for the whole batch).
func (b *BLAS) SgemmBatched(transA, transB bool, m, n, k int, alpha float32, a Ptr, lda, sa int, bm Ptr, ldb, sb int, beta float32, c Ptr, ldc, sc, batch int) error {
	return checkBLAS("cublasSgemmStridedBatched", C.nrn_cublasSgemmStridedBatched(b.h, op(transA), op(transB), C.int(m), C.int(n), C.int(k),
		C.float(alpha), C.nrn_dptr(a), C.int(lda), C.longlong(sa), C.nrn_dptr(bm), C.int(ldb), C.longlong(sb),
		C.float(beta), C.nrn_dptr(c), C.int(ldc), C.longlong(sc), C.int(batch)))
}

// Sgemv is column-major y = alpha·op(A)·x + beta·y with A m×n.
func (b *BLAS) Sgemv(trans bool, m, n int, alpha float32, a Ptr, lda int, x Ptr, incx int, beta float32, y Ptr, incy int) error {
	return checkBLAS("cublasSgemv", C.nrn_cublasSgemv(b.h, op(trans), C.int(m), C.int(n), C.float(alpha),
		C.nrn_dptr(a), C.int(lda), C.nrn_dptr(x), C.int(incx), C.float(beta), C.nrn_dptr(y), C.int(incy)))
}

// Destroy destroys the handle.
func (b *BLAS) Destroy() error {
	if b == nil || b.h == nil {
		return nil
	}
	err := checkBLAS("cublasDestroy", C.nrn_cublasDestroy(b.h))
	b.h = nil
	return err
}

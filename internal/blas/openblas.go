//go:build cgo

package blas

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

// CBLAS's and OpenBLAS's entry points, looked up at run time. CBLAS's
// enums (order, transposes) are passed as the ints they are.
typedef void (*nrn_sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                             const float *, int, float, float *, int);
typedef void (*nrn_dgemm_fn)(int, int, int, int, int, int, double, const double *, int,
                             const double *, int, double, double *, int);
typedef void (*nrn_set_int_fn)(int);
typedef int (*nrn_get_int_fn)(void);
typedef char *(*nrn_get_str_fn)(void);

typedef struct {
	nrn_sgemm_fn sgemm;
	nrn_dgemm_fn dgemm;
	nrn_set_int_fn set_threads;
	nrn_get_int_fn get_threads;
	nrn_get_str_fn config;
	nrn_get_str_fn corename; // NULL where the library lacks it
} nrn_openblas;

// nrn_openblas_open opens path and looks up the entry points into lib. It
// returns NULL, or what is wrong in buf. A library without
// openblas_get_config is not OpenBLAS (the reference BLAS, say, which is
// far slower than gonum's) and is closed again; symbols are looked up in
// the library and the libraries it needs, as Debian's libblas.so.3 passes
// to libopenblas.so.0.
static const char *nrn_openblas_open(const char *path, nrn_openblas *lib, char *buf, size_t len) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		snprintf(buf, len, "%s", e ? e : "dlopen failed");
		return buf;
	}
	const char *missing = NULL;
	if (!(lib->config = (nrn_get_str_fn)dlsym(h, "openblas_get_config"))) {
		snprintf(buf, len, "%s is not OpenBLAS (no openblas_get_config)", path);
		dlclose(h);
		return buf;
	}
	if (!(lib->sgemm = (nrn_sgemm_fn)dlsym(h, "cblas_sgemm"))) {
		missing = "cblas_sgemm";
	} else if (!(lib->dgemm = (nrn_dgemm_fn)dlsym(h, "cblas_dgemm"))) {
		missing = "cblas_dgemm";
	} else if (!(lib->set_threads = (nrn_set_int_fn)dlsym(h, "openblas_set_num_threads"))) {
		missing = "openblas_set_num_threads";
	} else if (!(lib->get_threads = (nrn_get_int_fn)dlsym(h, "openblas_get_num_threads"))) {
		missing = "openblas_get_num_threads";
	}
	if (missing) {
		snprintf(buf, len, "%s: no %s", path, missing);
		dlclose(h);
		return buf;
	}
	lib->corename = (nrn_get_str_fn)dlsym(h, "openblas_get_corename");
	return NULL; // the library stays loaded for the life of the process
}

static void nrn_sgemm(nrn_sgemm_fn f, int ta, int tb, int m, int n, int k, float alpha, const float *a,
                      int lda, const float *b, int ldb, float beta, float *c, int ldc) {
	f(101, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); // 101: CblasRowMajor
}

static void nrn_dgemm(nrn_dgemm_fn f, int ta, int tb, int m, int n, int k, double alpha, const double *a,
                      int lda, const double *b, int ldb, double beta, double *c, int ldc) {
	f(101, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static void nrn_set_int(nrn_set_int_fn f, int v) { f(v); }
static int nrn_get_int(nrn_get_int_fn f) { return f(); }
static const char *nrn_get_str(nrn_get_str_fn f) { return f ? f() : ""; }
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unsafe"

	gonumblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// openBLASNames are the names OpenBLAS is looked for under, in order:
// Debian's and most distributions', the development link, Fedora's
// pthreads and OpenMP builds, and the generic BLAS, which Debian's
// alternatives may point at OpenBLAS.
var openBLASNames = []string{"libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0", "libopenblaso.so.0", "libblas.so.3"}

// openBLAS is gonum's BLAS with the matrix products done by a loaded
// OpenBLAS.
type openBLAS struct {
	gonum.Implementation
	lib C.nrn_openblas
}

// loadOpenBLAS loads the first of openBLASNames that is OpenBLAS.
func loadOpenBLAS() (*openBLAS, error) {
	var first string
	for _, name := range openBLASNames {
		lib, err := openOpenBLAS(name)
		if err == nil {
			return lib, nil
		}
		// Say why a library that is there failed, rather than that the
		// first name is not.
		if m := err.Error(); first == "" || notThere(first) && !notThere(m) {
			first = m
		}
	}
	return nil, fmt.Errorf("%w (tried %s): %s", errNoOpenBLAS, strings.Join(openBLASNames, ", "), first)
}

func notThere(msg string) bool { return strings.Contains(msg, "No such file") }

// openOpenBLAS loads the library at path (a name or a file) if it is
// OpenBLAS.
func openOpenBLAS(path string) (*openBLAS, error) {
	cs := C.CString(path)
	defer C.free(unsafe.Pointer(cs))
	var buf [512]C.char
	l := &openBLAS{}
	if msg := C.nrn_openblas_open(cs, &l.lib, &buf[0], C.size_t(len(buf))); msg != nil {
		return nil, errors.New(C.GoString(msg))
	}
	return l, nil
}

// version returns OpenBLAS's version, e.g. "0.3.21", from its
// configuration string ("OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY ...").
func (l *openBLAS) version() string {
	f := strings.Fields(C.GoString(C.nrn_get_str(l.lib.config)))
	if len(f) < 2 || f[0] != "OpenBLAS" {
		return ""
	}
	return f[1]
}

// core returns the name of the kernels OpenBLAS runs, e.g. "Haswell"
// (chosen for the CPU, or by OPENBLAS_CORETYPE).
func (l *openBLAS) core() string {
	return strings.TrimSpace(C.GoString(C.nrn_get_str(l.lib.corename)))
}

func (l *openBLAS) threads() int { return int(C.nrn_get_int(l.lib.get_threads)) }

func (l *openBLAS) setThreads(n int) { C.nrn_set_int(l.lib.set_threads, C.int(n)) }

// Sgemm computes c = alpha·op(a)·op(b) + beta·c for row-major matrices
// (op(a) m×k, op(b) k×n), as gonum's Sgemm does, in OpenBLAS. Arguments
// gonum would refuse, and products with nothing to multiply (a zero size,
// alpha 0), go to gonum's Sgemm, which panics or scales c.
func (l *openBLAS) Sgemm(tA, tB gonumblas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if alpha == 0 || !multiplies(tA, tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc) {
		l.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	C.nrn_sgemm(l.lib.sgemm, cblasTrans(tA), cblasTrans(tB), C.int(m), C.int(n), C.int(k),
		C.float(alpha), (*C.float)(&a[0]), C.int(lda), (*C.float)(&b[0]), C.int(ldb),
		C.float(beta), (*C.float)(&c[0]), C.int(ldc))
}

// Dgemm is Sgemm for float64.
func (l *openBLAS) Dgemm(tA, tB gonumblas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if alpha == 0 || !multiplies(tA, tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc) {
		l.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	C.nrn_dgemm(l.lib.dgemm, cblasTrans(tA), cblasTrans(tB), C.int(m), C.int(n), C.int(k),
		C.double(alpha), (*C.double)(&a[0]), C.int(lda), (*C.double)(&b[0]), C.int(ldb),
		C.double(beta), (*C.double)(&c[0]), C.int(ldc))
}

// multiplies reports whether a product's arguments are ones gonum accepts
// (transposes, leading dimensions, slices long enough for the matrices
// they hold), its sizes are not zero, and all fit a C int: then, and only
// then, may OpenBLAS read and write the slices.
func multiplies(tA, tB gonumblas.Transpose, m, n, k, lenA, lda, lenB, ldb, lenC, ldc int) bool {
	if !validTrans(tA) || !validTrans(tB) || m <= 0 || n <= 0 || k <= 0 || max(m, n, k, lda, ldb, ldc) > math.MaxInt32 {
		return false
	}
	rowsA, colsA := m, k // a as stored
	if tA != gonumblas.NoTrans {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if tB != gonumblas.NoTrans {
		rowsB, colsB = n, k
	}
	return lda >= colsA && ldb >= colsB && ldc >= n &&
		lenA >= (rowsA-1)*lda+colsA && lenB >= (rowsB-1)*ldb+colsB && lenC >= (m-1)*ldc+n
}

func validTrans(t gonumblas.Transpose) bool {
	return t == gonumblas.NoTrans || t == gonumblas.Trans || t == gonumblas.ConjTrans
}

// cblasTrans returns CBLAS's CblasNoTrans (111) or CblasTrans (112); for
// real matrices a conjugate transpose is a transpose.
func cblasTrans(t gonumblas.Transpose) C.int {
	if t == gonumblas.NoTrans {
		return 111
	}
	return 112
}

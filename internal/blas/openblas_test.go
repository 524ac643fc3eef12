//go:build cgo

package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gonumblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// loadedOpenBLAS returns OpenBLAS, loaded here whatever NEURONE_BLAS
// chooses, or skips t.
func loadedOpenBLAS(t *testing.T) *openBLAS {
	t.Helper()
	lib, err := loadOpenBLAS()
	if err != nil {
		t.Skipf("no OpenBLAS to test: %v", err)
	}
	return lib
}

type float interface{ ~float32 | ~float64 }

type gemmFunc[T float] func(tA, tB gonumblas.Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)

// TestOpenBLASMatchesGonum runs both implementations on random products of
// every transpose, with leading dimensions wider than the matrices, several
// alpha and beta, and sizes from 1 to above OpenBLAS's threading threshold:
// c must agree within rounding, and what lies between the rows of c (beyond
// its n columns) must stay untouched.
func TestOpenBLASMatchesGonum(t *testing.T) {
	lib := loadedOpenBLAS(t)
	t.Run("float32", func(t *testing.T) { matchGonum(t, gemmFunc[float32](lib.Sgemm), gonum.Implementation{}.Sgemm, 0x1p-23) })
	t.Run("float64", func(t *testing.T) { matchGonum(t, gemmFunc[float64](lib.Dgemm), gonum.Implementation{}.Dgemm, 0x1p-52) })
}

func matchGonum[T float](t *testing.T, got, want gemmFunc[T], eps float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []T {
		x := make([]T, n)
		for i := range x {
			x[i] = T(rng.Float64()*2 - 1)
		}
		return x
	}
	transposes := []gonumblas.Transpose{gonumblas.NoTrans, gonumblas.Trans, gonumblas.ConjTrans}
	for _, size := range [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {96, 130, 70}} {
		m, n, k := size[0], size[1], size[2]
		for _, tA := range transposes {
			for _, tB := range transposes {
				for _, ab := range [][2]T{{1, 0}, {-0.5, 1}, {2, 0.25}} {
					alpha, beta := ab[0], ab[1]
					rowsA, colsA := m, k
					if tA != gonumblas.NoTrans {
						rowsA, colsA = k, m
					}
					rowsB, colsB := k, n
					if tB != gonumblas.NoTrans {
						rowsB, colsB = n, k
					}
					lda, ldb, ldc := colsA+2, colsB+1, n+3
					a, b, c := random(rowsA*lda), random(rowsB*ldb), random(m*ldc)
					wantC := append([]T(nil), c...)
					got(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
					want(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, wantC, ldc)
					name := fmt.Sprintf("%dx%dx%d %c%c alpha %v beta %v", m, n, k, tA, tB, alpha, beta)
					for i := range c {
						// Both are within k·u·(|alpha|·Σ|a||b| + |beta·c|) of the
						// exact value; all terms are at most 1 in size.
						bound := 2 * float64(k+1) * eps * (math.Abs(float64(alpha))*float64(k) + math.Abs(float64(beta)))
						if i%ldc >= n {
							bound = 0 // between the rows: untouched
						}
						if d := math.Abs(float64(c[i] - wantC[i])); d > bound {
							t.Fatalf("%s: c[%d] = %v, gonum's %v", name, i, c[i], wantC[i])
						}
					}
				}
			}
		}
	}
}

// Products with nothing to multiply still scale c by beta, and arguments
// gonum refuses panic as gonum's do, before OpenBLAS reads a slice.
func TestOpenBLASEdgeCases(t *testing.T) {
	lib := loadedOpenBLAS(t)
	n := gonumblas.NoTrans
	for _, tt := range []struct {
		name       string
		m, n, k    int
		alpha      float32
		a, b, c    []float32
		lda, ldb   int
		want       []float32
		wantsPanic string
	}{
		{name: "k = 0 scales c", m: 2, n: 2, k: 0, alpha: 1, a: []float32{9}, b: []float32{}, lda: 1, ldb: 2,
			c: []float32{1, 2, 3, 4}, want: []float32{0.5, 1, 1.5, 2}},
		{name: "alpha = 0 scales c", m: 1, n: 2, k: 2, alpha: 0, a: []float32{1, 1}, b: []float32{1, 1, 1, 1}, lda: 2, ldb: 2,
			c: []float32{2, 4}, want: []float32{1, 2}},
		{name: "m = 0 does nothing", m: 0, n: 2, k: 2, alpha: 1, a: []float32{}, b: []float32{1, 1, 1, 1}, lda: 2, ldb: 2,
			c: []float32{}, want: []float32{}},
		{name: "short a", m: 2, n: 2, k: 2, alpha: 1, a: []float32{1, 2, 3}, b: []float32{1, 1, 1, 1}, lda: 2, ldb: 2,
			c: make([]float32, 4), wantsPanic: "blas: insufficient length of a"},
		{name: "short c", m: 2, n: 2, k: 2, alpha: 1, a: []float32{1, 2, 3, 4}, b: []float32{1, 1, 1, 1}, lda: 2, ldb: 2,
			c: make([]float32, 3), wantsPanic: "blas: insufficient length of c"},
		{name: "bad lda", m: 2, n: 2, k: 2, alpha: 1, a: []float32{1, 2, 3, 4}, b: []float32{1, 1, 1, 1}, lda: 1, ldb: 2,
			c: make([]float32, 4), wantsPanic: "blas: bad leading dimension of A"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); fmt.Sprint(r) != tt.wantsPanic && (r != nil || tt.wantsPanic != "") {
					t.Errorf("panic %v, want %q", r, tt.wantsPanic)
				}
			}()
			lib.Sgemm(n, n, tt.m, tt.n, tt.k, tt.alpha, tt.a, tt.lda, tt.b, tt.ldb, 0.5, tt.c, max(tt.n, 1))
			if fmt.Sprint(tt.c) != fmt.Sprint(tt.want) {
				t.Errorf("c = %v, want %v", tt.c, tt.want)
			}
		})
	}
}

// TestNotOpenBLASRefused builds a BLAS that offers cblas_sgemm but is not
// OpenBLAS, as the reference BLAS behind libblas.so.3 is, and checks that
// it is refused: gonum's BLAS is far faster than the reference one.
func TestNotOpenBLASRefused(t *testing.T) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler to build a stand-in BLAS")
	}
	dir := t.TempDir()
	src, lib := filepath.Join(dir, "ref.c"), filepath.Join(dir, "libblas.so.3")
	if err := os.WriteFile(src, []byte("void cblas_sgemm(void) {}\nvoid cblas_dgemm(void) {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-shared", "-fPIC", "-o", lib, src).CombinedOutput(); err != nil {
		t.Skipf("building a stand-in BLAS: %v\n%s", err, out)
	}
	if _, err := openOpenBLAS(lib); err == nil || !strings.Contains(err.Error(), "is not OpenBLAS") {
		t.Errorf("loading %s: %v, want it refused as not OpenBLAS", lib, err)
	}
	if _, err := openOpenBLAS(filepath.Join(dir, "missing.so")); err == nil || !notThere(err.Error()) {
		t.Errorf("loading a missing library: %v", err)
	}
}

// TestOpenBLASDescribed checks what Name is made of: OpenBLAS's version
// and kernels, read from the library.
func TestOpenBLASDescribed(t *testing.T) {
	lib := loadedOpenBLAS(t)
	if v := lib.version(); !strings.Contains(v, ".") {
		t.Errorf("version %q", v)
	}
	if lib.core() == "" {
		t.Error("no kernel name")
	}
	if lib.threads() < 1 {
		t.Errorf("%d threads", lib.threads())
	}
}

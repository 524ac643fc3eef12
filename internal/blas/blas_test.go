package blas

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	gonumblas "gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
)

// TestSgemm checks the chosen implementation on a small product worked by
// hand, so a mis-loaded BLAS shows up whichever is chosen.
func TestSgemm(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5, 6}    // 2x3
	b := []float32{7, 8, 9, 10, 11, 12} // 3x2
	c := make([]float32, 4)
	Impl().Sgemm(gonumblas.NoTrans, gonumblas.NoTrans, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2)
	want := []float32{58, 64, 139, 154}
	for i := range want {
		if c[i] != want[i] {
			t.Fatalf("%s: Sgemm = %v, want %v", Name(), c, want)
		}
	}
}

// Gorgonia's own ops use the BLAS chosen here.
func TestGorgoniaUsesTheChoice(t *testing.T) {
	if G.WhichBLAS() != G.BLAS(Impl()) {
		t.Errorf("Gorgonia uses %T, the choice is %T (%s)", G.WhichBLAS(), Impl(), Name())
	}
}

// TestDecide applies each setting of NEURONE_BLAS with OpenBLAS there and
// missing.
func TestDecide(t *testing.T) {
	lib := &openBLAS{}
	errMissing := errors.New("libopenblas.so.0: cannot open shared object file")
	there := func() (*openBLAS, error) { return lib, nil }
	missing := func() (*openBLAS, error) { return nil, errMissing }
	for _, tt := range []struct {
		setting string
		load    func() (*openBLAS, error)
		want    *openBLAS
		note    string // in gonum's reason
		err     string // in the error; "" for none
	}{
		{"", there, lib, "", ""},
		{"", missing, nil, "no OpenBLAS found", ""},
		{"auto", there, lib, "", ""},
		{" Auto ", missing, nil, "no OpenBLAS found", ""},
		{"gonum", there, nil, "NEURONE_BLAS=gonum", ""},
		{"gonum", missing, nil, "NEURONE_BLAS=gonum", ""},
		{"openblas", there, lib, "", ""},
		{"OpenBLAS", there, lib, "", ""},
		{"openblas", missing, nil, "", "NEURONE_BLAS=openblas, but libopenblas.so.0: cannot open"},
		{"mkl", there, nil, "", `NEURONE_BLAS="mkl": want openblas, gonum or auto`},
	} {
		got, note, err := decide(tt.setting, tt.load)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrSetting) {
				t.Errorf("%q: error %v, want one saying %q", tt.setting, err, tt.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tt.setting, err)
		case got != tt.want || !strings.Contains(note, tt.note):
			t.Errorf("%q: OpenBLAS %v, note %q; want %v, a note saying %q", tt.setting, got != nil, note, tt.want != nil, tt.note)
		}
		if tt.setting == "openblas" && tt.err != "" && !errors.Is(err, errMissing) {
			t.Errorf("%q: error %v does not wrap the loader's", tt.setting, err)
		}
	}
}

// TestSettingInAProcess starts this test binary again with NEURONE_BLAS
// set, to see a whole process make the choice (reportChoice prints it).
func TestSettingInAProcess(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("the child's own run")
	}
	_, loadErr := loadOpenBLAS()
	wantAuto := "kind=gonum"
	if loadErr == nil {
		wantAuto = "kind=openblas"
	}
	for _, tt := range []struct {
		setting string
		want    []string // lines of the child's report
	}{
		{"", []string{wantAuto, "err=<nil>"}},
		{"gonum", []string{"kind=gonum", "err=<nil>", "name=gonum, pure Go; NEURONE_BLAS=gonum", "threads=0"}},
		{"openblas", map[bool][]string{
			true:  {"kind=openblas", "err=<nil>", "name=OpenBLAS "},
			false: {"kind=", "err=blas: NEURONE_BLAS=openblas, but no OpenBLAS could be loaded", "name=none ("},
		}[loadErr == nil]},
		{"bogus", []string{"kind=", `err=blas: NEURONE_BLAS="bogus": want openblas, gonum or auto`}},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestReportChoice$", "-test.v")
		cmd.Env = append(os.Environ(), childEnv+"=1", Setting+"="+tt.setting)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s=%s: %v\n%s", Setting, tt.setting, err, out)
		}
		for _, w := range tt.want {
			if !strings.Contains(string(out), "\n"+w) {
				t.Errorf("%s=%q: the process reported\n%s\nwant a line starting %q", Setting, tt.setting, out, w)
			}
		}
	}
}

// childEnv marks the process TestSettingInAProcess starts.
const childEnv = "NEURONE_BLAS_TEST_CHILD"

// TestReportChoice prints the choice, in the process that
// TestSettingInAProcess starts; elsewhere it does nothing.
func TestReportChoice(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("runs in TestSettingInAProcess's child")
	}
	fmt.Printf("\nkind=%s\nerr=%v\nname=%s\nthreads=%d\n", Kind(), Load(), Name(), Threads())
}

// A product large enough for OpenBLAS to split among threads gives, on
// several threads and on one, results within the rounding error a correct
// BLAS allows, but not always the same bits: with some kernels (Haswell's,
// Zen's) OpenBLAS blocks the inner dimension differently when threaded, so
// the sums are added in another order. On a fixed number of threads the
// bits repeat. SetThreads reports and restores the setting.
func TestThreadsDoNotChangeProducts(t *testing.T) {
	const m, n, k = 192, 160, 384 // m·n·k well above OpenBLAS's threading threshold
	a, b := make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i] = float32(i%97)/97 - 0.5
	}
	for i := range b {
		b[i] = float32(i%89)/89 - 0.25
	}
	product := func() []float32 {
		c := make([]float32, m*n)
		Impl().Sgemm(gonumblas.NoTrans, gonumblas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
		return c
	}
	before := Threads()
	if before == 0 {
		if SetThreads(1) != 0 || Threads() != 0 {
			t.Fatalf("%s has no thread pool, but SetThreads changed Threads", Name())
		}
		return
	}
	SetThreads(max(before, 2))
	many, again := product(), product()
	if got := SetThreads(1); got != max(before, 2) {
		t.Errorf("SetThreads returned %d, want the setting before, %d", got, max(before, 2))
	}
	if Threads() != 1 {
		t.Errorf("Threads() = %d after SetThreads(1)", Threads())
	}
	one := product()
	SetThreads(before)
	if Threads() != before {
		t.Errorf("Threads() = %d after restoring %d", Threads(), before)
	}
	for i := range many {
		if math.Float32bits(many[i]) != math.Float32bits(again[i]) {
			t.Fatalf("element %d: %v, then %v on the same threads", i, many[i], again[i])
		}
	}
	exact, bound := reference(m, n, k, a, b)
	for i := range exact {
		for _, got := range []struct {
			what string
			c    []float32
		}{{"several threads", many}, {"one thread", one}} {
			if err := math.Abs(float64(got.c[i]) - exact[i]); err > bound[i] {
				t.Fatalf("element %d on %s: %v, exact %v: error %.3g above the bound %.3g",
					i, got.what, got.c[i], exact[i], err, bound[i])
			}
		}
	}
}

// reference returns the product a·b (a m×k, b k×n, row-major) computed in
// float64, and for each element the error a float32 product may have: a
// sum of k terms in float32, in any order, with or without fused
// multiply-adds, is within k·u·Σ|a||b| of the exact value (u = 2⁻²⁴, the
// unit roundoff; Higham, Accuracy and Stability of Numerical Algorithms,
// §3.1); the bound allows twice that.
func reference(m, n, k int, a, b []float32) (exact, bound []float64) {
	const eps = 0x1p-23 // 2u
	exact, bound = make([]float64, m*n), make([]float64, m*n)
	for i := range m {
		for j := range n {
			var sum, abs float64
			for p := range k {
				x := float64(a[i*k+p]) * float64(b[p*n+j])
				sum += x
				abs += math.Abs(x)
			}
			exact[i*n+j], bound[i*n+j] = sum, float64(k)*eps*abs
		}
	}
	return exact, bound
}

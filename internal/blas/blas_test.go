package blas

import (
	"math"
	"testing"

	gonumblas "gonum.org/v1/gonum/blas"
)

// TestSgemm checks the selected implementation on a small product worked by
// hand, so a mislinked BLAS shows up in either build.
func TestSgemm(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5, 6}    // 2x3
	b := []float32{7, 8, 9, 10, 11, 12} // 3x2
	c := make([]float32, 4)
	Impl.Sgemm(gonumblas.NoTrans, gonumblas.NoTrans, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2)
	want := []float32{58, 64, 139, 154}
	for i := range want {
		if c[i] != want[i] {
			t.Fatalf("%s: Sgemm = %v, want %v", Name, c, want)
		}
	}
}

// A product large enough for OpenBLAS to split among threads gives the
// same bits on one thread, as SetThreads promises; SetThreads reports and
// restores the setting.
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
		Impl.Sgemm(gonumblas.NoTrans, gonumblas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
		return c
	}
	before := Threads()
	if before == 0 {
		if SetThreads(1) != 0 || Threads() != 0 {
			t.Fatalf("%s has no thread pool, but SetThreads changed Threads", Name)
		}
		return
	}
	SetThreads(max(before, 2))
	many := product()
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
		if math.Float32bits(many[i]) != math.Float32bits(one[i]) {
			t.Fatalf("element %d: %v on several threads, %v on one", i, many[i], one[i])
		}
	}
}

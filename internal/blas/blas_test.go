package blas

import (
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

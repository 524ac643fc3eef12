package cpukernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The shifted-run im2col and col2im (walkShifted) write what the
// row-by-row loops (walkRows) write, for stride-1 geometries whose output
// rows are as wide as the image's: every column matrix entry equal, and
// every image pixel the same sum added in the same order.
func TestWalkShiftedMatchesRows(t *testing.T) {
	t.Parallel()
	for _, g := range []Conv{
		{C: 2, H: 5, W: 6, KH: 3, KW: 3, PH: 1, PW: 1},
		{C: 3, H: 4, W: 4, KH: 5, KW: 5, PH: 2, PW: 2},
		{C: 1, H: 6, W: 3, KH: 3, KW: 1, PH: 0, PW: 0},
		{C: 2, H: 3, W: 2, KH: 1, KW: 5, PH: 1, PW: 2}, // kernel wider than the image
		{C: 1, H: 2, W: 4, KH: 5, KW: 3, PH: 2, PW: 1}, // taller than the image
		{C: 2, H: 3, W: 3, KH: 1, KW: 1, PH: 0, PW: 0},
	} {
		g.N, g.F, g.SH, g.SW = 1, 1, 1, 1
		g.OH, g.OW = g.H+2*g.PH-g.KH+1, g.W+2*g.PW-g.KW+1
		t.Run(fmt.Sprintf("%dx%dx%d/kernel %dx%d/pad %dx%d", g.C, g.H, g.W, g.KH, g.KW, g.PH, g.PW), func(t *testing.T) {
			t.Parallel()
			if g.OW != g.W {
				t.Fatalf("geometry %+v is not one walkShifted takes", g)
			}
			rng := rand.New(rand.NewPCG(uint64(g.H), uint64(g.KW)))
			img, col := make([]float64, g.inSize()), make([]float64, g.colRows()*g.colCols())
			for i := range img {
				img[i] = rng.Float64()*2 - 1
			}
			want, got := make([]float64, len(col)), make([]float64, len(col))
			walkRows(g, want, img, true)
			for i := range got {
				got[i] = 7 // every entry written
			}
			walkShifted(g, got, img, true)
			same(t, "im2col", got, want)

			for i := range col {
				col[i] = rng.Float64()*2 - 1
			}
			wantImg, gotImg := make([]float64, len(img)), make([]float64, len(img))
			walkRows(g, slicesClone(col), wantImg, false)
			walkShifted(g, slicesClone(col), gotImg, false)
			same(t, "col2im", gotImg, wantImg)
		})
	}
}

func slicesClone(x []float64) []float64 { return append([]float64(nil), x...) }

func same[T Float](t *testing.T, what string, got, want []T) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// im2colPhased writes the column matrix that the row-by-row loop
// (walkRows) writes, for every strided geometry it takes, and declines
// the others.
func TestIm2colPhasedMatchesRows(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		g     Conv
		takes bool
	}{
		{Conv{C: 1, H: 10, W: 10, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1}, true},
		{Conv{C: 2, H: 7, W: 9, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1}, true},
		{Conv{C: 2, H: 8, W: 8, KH: 4, KW: 4, SH: 2, SW: 2, PH: 1, PW: 1}, true},
		{Conv{C: 1, H: 9, W: 9, KH: 3, KW: 3, SH: 3, SW: 3, PH: 0, PW: 0}, true},
		{Conv{C: 1, H: 11, W: 7, KH: 5, KW: 3, SH: 2, SW: 2, PH: 2, PW: 1}, true},
		// Lines of 16 columns and more, which amd64 splits with AVX2,
		// even and odd widths, as the CNN's first layer's 100x100.
		{Conv{C: 1, H: 20, W: 34, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1}, true},
		{Conv{C: 2, H: 9, W: 37, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1}, true},
		{Conv{C: 1, H: 100, W: 100, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1}, true},
		{Conv{C: 1, H: 9, W: 9, KH: 3, KW: 3, SH: 2, SW: 2, PH: 0, PW: 0}, false}, // rows narrower than ⌈W/2⌉
		{Conv{C: 1, H: 8, W: 8, KH: 1, KW: 1, SH: 2, SW: 2}, false},
		{Conv{C: 1, H: 8, W: 8, KH: 3, KW: 3, SH: 2, SW: 1, PH: 1, PW: 1}, false},
	} {
		g := tc.g
		g.N, g.F = 1, 1
		g.OH, g.OW = (g.H+2*g.PH-g.KH)/g.SH+1, (g.W+2*g.PW-g.KW)/g.SW+1
		t.Run(fmt.Sprintf("%dx%dx%d/kernel %dx%d/stride %dx%d/pad %dx%d", g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW), func(t *testing.T) {
			t.Parallel()
			checkIm2colPhased[float64](t, g, tc.takes)
			checkIm2colPhased[float32](t, g, tc.takes) // amd64's AVX2 split is float32's
		})
	}
}

func checkIm2colPhased[T Float](t *testing.T, g Conv, takes bool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(g.H), uint64(g.W)))
	img := make([]T, g.inSize())
	for i := range img {
		img[i] = T(rng.Float64()*2 - 1)
	}
	want, got := make([]T, g.colRows()*g.colCols()), make([]T, g.colRows()*g.colCols())
	walkRows(g, want, img, true)
	for i := range got {
		got[i] = 7 // every entry written
	}
	if took := im2colPhased(g, got, img); took != takes {
		t.Fatalf("im2colPhased took the geometry: %t, want %t", took, takes)
	}
	if takes {
		same(t, "im2col", got, want)
	}
}

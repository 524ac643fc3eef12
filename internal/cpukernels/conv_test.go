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

func same(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

package cpukernels

import (
	"math"
	"testing"
)

// The branch-free 2×2 path picks the window element the general scan
// does, for every window over {NaN, −1, 0, 1}: ties go to the first in
// row-major order, and NaNs are passed over unless all four are NaN.
func TestPool2x2MatchesScan(t *testing.T) {
	t.Parallel()
	vals := []float32{float32(math.NaN()), -1, 0, 1}
	g := Pool{Planes: 1, H: 2, W: 2, OH: 1, OW: 1, KH: 2, KW: 2, SH: 2, SW: 2}
	for code := range 256 {
		plane := make([]float32, 4)
		for k := range plane {
			plane[k] = vals[code>>(2*k)&3]
		}
		want := argmax(g, plane, 0, 0)
		out := make([]float32, 1)
		maxRow2x2(out, plane, 0, 2, 2)
		if math.Float32bits(out[0]) != math.Float32bits(plane[want]) {
			t.Errorf("window %v: max %v, the scan's %v", plane, out[0], plane[want])
		}
		dx := make([]float32, 4)
		routeRow2x2(dx, []float32{1}, plane, 0, 2, 2)
		for k, d := range dx {
			if (k == want) != (d == 1) {
				t.Errorf("window %v: gradient to %v, the scan's to element %d", plane, dx, want)
				break
			}
		}
	}
}

package ops_test

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/ops"
)

// TestConvPoolParallel runs the convolution and pooling kernels, which
// spread images over the CPUs, on a batch of 19 images (three partial sums
// of the filter gradient, the last short) with one CPU and with four: the
// float32 results must be the same to the bit. The filter gradient, the
// one kernel that adds across images, is also checked against its formula
// in float64.
func TestConvPoolParallel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xs, ws := [4]int{19, 3, 9, 8}, [4]int{4, 3, 3, 3}
	conv := ops.Conv2DOp{Stride: [2]int{2, 1}, Padding: [2]int{1, 1}}
	_, ys := naiveConv(make([]float64, 19*3*9*8), make([]float64, 4*3*3*3), xs, ws, conv.Stride, conv.Padding)
	x, w, dy := randoms(rng, 19*3*9*8), randoms(rng, 4*3*3*3), randoms(rng, ys[0]*ys[1]*ys[2]*ys[3])
	pool := ops.MaxPool2DOp{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}
	_, pys := naivePoolShape(xs, 2)
	pdy := randoms(rng, pys)

	run := func(dt tensor.Dtype) map[string][]float64 {
		out := map[string][]float64{}
		do := func(name string, op interface {
			Do(...G.Value) (G.Value, error)
		}, vs ...G.Value) {
			v, err := op.Do(vs...)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out[name] = slices.Clone(float64s(v))
		}
		X, W, DY := denseOf(dt, xs[:], x), denseOf(dt, ws[:], w), denseOf(dt, ys[:], dy)
		do("conv", conv, X, W)
		do("input grad", ops.Conv2DInputGradOp{Conv: conv, H: xs[2], W: xs[3]}, W, DY)
		do("filter grad", ops.Conv2DFilterGradOp{Conv: conv, KH: ws[2], KW: ws[3]}, X, DY)
		do("max pool", pool, X)
		do("max pool grad", ops.MaxPool2DBackwardOp{Pool: pool}, X, denseOf(dt, []int{19, 3, 4, 4}, pdy))
		return out
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	serial := run(tensor.Float32)
	runtime.GOMAXPROCS(4)
	parallel := run(tensor.Float32)
	for name, want := range serial {
		if !slices.Equal(parallel[name], want) {
			t.Errorf("%s: four CPUs give other float32 results than one", name)
		}
	}

	// dW[o,c,p,q] = Σ over images and outputs (i,j) of dy[n,o,i,j]·x[n,c,i·SH+p−PH,j·SW+q−PW].
	got := run(tensor.Float64)["filter grad"]
	for o := range ws[0] {
		for c := range ws[1] {
			for p := range ws[2] {
				for q := range ws[3] {
					var s float64
					for n := range xs[0] {
						for i := range ys[2] {
							for j := range ys[3] {
								r, col := i*conv.Stride[0]+p-conv.Padding[0], j*conv.Stride[1]+q-conv.Padding[1]
								if r < 0 || r >= xs[2] || col < 0 || col >= xs[3] {
									continue
								}
								s += dy[((n*ys[1]+o)*ys[2]+i)*ys[3]+j] * x[((n*xs[1]+c)*xs[2]+r)*xs[3]+col]
							}
						}
					}
					k := ((o*ws[1]+c)*ws[2]+p)*ws[3] + q
					if !(math.Abs(got[k]-s) <= 1e-12*(1+math.Abs(s))) { // NaN fails too
						t.Fatalf("filter grad [%d %d %d %d] = %v, by the formula %v", o, c, p, q, got[k], s)
					}
				}
			}
		}
	}
}

// naivePoolShape returns the element count of a k×k, stride-k pooling of
// xs, with its shape.
func naivePoolShape(xs [4]int, k int) ([4]int, int) {
	s := [4]int{xs[0], xs[1], xs[2] / k, xs[3] / k}
	return s, s[0] * s[1] * s[2] * s[3]
}

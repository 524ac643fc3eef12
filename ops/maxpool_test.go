package ops_test

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/gradcheck"
	"github.com/neurone-dl/neurone/ops"
)

// TestMaxPool2D checks values and gradients on a plane worked by hand:
// 2×2 windows, stride 2, over a 4×5 plane whose last column no window
// covers, with ties that must go to the first element in row-major order.
func TestMaxPool2D(t *testing.T) {
	t.Parallel()
	x := []float64{
		1, 3, 5, 5, 9,
		3, 2, 5, 5, 9,
		-1, -2, 0, 7, 9,
		-3, -1, 7, 7, 9,
	}
	wantY := []float64{3, 5, -1, 7}
	// Sum(y) routes 1 to each window's first maximum.
	wantDx := []float64{
		0, 1, 1, 0, 0,
		0, 0, 0, 0, 0,
		1, 0, 0, 1, 0,
		0, 0, 0, 0, 0,
	}
	poolByHand(t, func(x *G.Node) (*G.Node, error) { return ops.MaxPool2D(x, [2]int{2, 2}, [2]int{2, 2}) }, x, wantY, wantDx)
}

// TestMaxPool2DOverlapAccumulates: where windows overlap, an element that is
// the maximum of several windows collects the gradient of each.
func TestMaxPool2DOverlapAccumulates(t *testing.T) {
	t.Parallel()
	r, err := gradcheck.Run(gradcheck.Case{
		Inputs: []gradcheck.Input{{Name: "x", Shape: []int{1, 1, 3, 3}, Data: []float64{0, 0, 0, 0, 9, 0, 0, 0, 0}}},
		Build: func(in []*G.Node) (*G.Node, error) {
			y, err := ops.MaxPool2D(in[0], [2]int{2, 2}, [2]int{1, 1})
			if err != nil {
				return nil, err
			}
			return ops.Sum(y)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{0, 0, 0, 0, 4, 0, 0, 0, 0}; !equal(r.Analytic[0], want) {
		t.Errorf("dx = %v, want %v", r.Analytic[0], want)
	}
}

// TestMaxPool2DTiesGeneralWindow: windows other than 2×2 take another
// path through the kernel; ties there go to the first maximum too, and the
// last rows that no window covers get no gradient.
func TestMaxPool2DTiesGeneralWindow(t *testing.T) {
	t.Parallel()
	x := []float64{
		4, 1, 4,
		2, 4, 4,
		4, 0, 1,
		9, 9, 9,
	}
	r, err := gradcheck.Run(gradcheck.Case{
		Inputs: []gradcheck.Input{{Name: "x", Shape: []int{1, 1, 4, 3}, Data: x}},
		Build: func(in []*G.Node) (*G.Node, error) {
			y, err := ops.MaxPool2D(in[0], [2]int{3, 2}, [2]int{3, 1})
			if err != nil {
				return nil, err
			}
			return ops.Sum(y)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Windows: rows 0-2 × columns 0-1 and rows 0-2 × columns 1-2.
	want := []float64{1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if !equal(r.Analytic[0], want) {
		t.Errorf("dx = %v, want %v", r.Analytic[0], want)
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkMaxPool2D times the default CNN's first pooling (batch 64, 8
// maps of 50×50, 2×2 windows) forward and backward.
func BenchmarkMaxPool2D(b *testing.B) {
	const n, c, h, w = 64, 8, 50, 50
	rng := rand.New(rand.NewPCG(1, 2))
	xs := make([]float32, n*c*h*w)
	for i := range xs {
		xs[i] = float32(rng.NormFloat64())
	}
	dys := make([]float32, n*c*(h/2)*(w/2))
	for i := range dys {
		dys[i] = float32(rng.NormFloat64())
	}
	x := tensor.New(tensor.WithShape(n, c, h, w), tensor.WithBacking(xs))
	dy := tensor.New(tensor.WithShape(n, c, h/2, w/2), tensor.WithBacking(dys))
	op := ops.MaxPool2DOp{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}
	y := tensor.New(tensor.WithShape(n, c, h/2, w/2), tensor.Of(tensor.Float32))
	dx := tensor.New(tensor.WithShape(n, c, h, w), tensor.Of(tensor.Float32))
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			if _, err := op.UsePreallocDo(y, x); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)*float64(len(xs))/b.Elapsed().Seconds()/1e6, "Minputs/s")
	})
	b.Run("backward", func(b *testing.B) {
		back := ops.MaxPool2DBackwardOp{Pool: op}
		for b.Loop() {
			if _, err := back.UsePreallocDo(dx, x, dy); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)*float64(len(xs))/b.Elapsed().Seconds()/1e6, "Minputs/s")
	})
}

// TestAvgPool2D checks values and gradients on a plane worked by hand:
// 2×2 windows, stride 2, over a 4×5 plane whose last column no window
// covers.
func TestAvgPool2D(t *testing.T) {
	t.Parallel()
	x := []float64{
		1, 3, 5, 5, 9,
		3, 1, 5, 7, 9,
		-1, -2, 0, 8, 9,
		-3, -2, 4, 8, 9,
	}
	wantY := []float64{2, 5.5, -2, 5}
	// Sum(y) spreads 1/4 over each window; the last column gets nothing.
	q := 0.25
	wantDx := []float64{
		q, q, q, q, 0,
		q, q, q, q, 0,
		q, q, q, q, 0,
		q, q, q, q, 0,
	}
	poolByHand(t, func(x *G.Node) (*G.Node, error) { return ops.AvgPool2D(x, [2]int{2, 2}, [2]int{2, 2}) }, x, wantY, wantDx)
}

// poolByHand applies pool to the 1×1×4×5 image x, in float64 and float32,
// and checks its values and the gradient of their sum against the ones
// worked by hand.
func poolByHand(t *testing.T, pool func(*G.Node) (*G.Node, error), x, wantY, wantDx []float64) {
	t.Helper()
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		g := G.NewGraph()
		xn := G.NewTensor(g, dt, 4, G.WithShape(1, 1, 4, 5), G.WithName("x"), G.WithValue(denseOf(dt, []int{1, 1, 4, 5}, x)))
		y, err := pool(xn)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ops.Sum(y)
		if err != nil {
			t.Fatal(err)
		}
		grads, err := G.Grad(s, xn)
		if err != nil {
			t.Fatal(err)
		}
		vals, err := gradcheck.Eval([]*G.Node{y, grads[0]})
		if err != nil {
			t.Fatal(err)
		}
		if got := float64s(vals[0]); !equal(got, wantY) {
			t.Errorf("%v: y = %v, want %v", dt, got, wantY)
		}
		if got := float64s(vals[1]); !equal(got, wantDx) {
			t.Errorf("%v: dx = %v, want %v", dt, got, wantDx)
		}
	}
}

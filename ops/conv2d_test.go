package ops_test

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/ops"
)

// naiveConv is the convolution's formula written out, in float64, sharing
// no code with the im2col kernel.
func naiveConv(x, w []float64, xs, ws [4]int, stride, pad [2]int) ([]float64, [4]int) {
	n, c, h, wd := xs[0], xs[1], xs[2], xs[3]
	f, kh, kw := ws[0], ws[2], ws[3]
	oh, ow := (h+2*pad[0]-kh)/stride[0]+1, (wd+2*pad[1]-kw)/stride[1]+1
	y := make([]float64, n*f*oh*ow)
	for b := range n {
		for o := range f {
			for i := range oh {
				for j := range ow {
					var s float64
					for ch := range c {
						for p := range kh {
							for q := range kw {
								r, col := i*stride[0]+p-pad[0], j*stride[1]+q-pad[1]
								if r < 0 || r >= h || col < 0 || col >= wd {
									continue
								}
								s += x[((b*c+ch)*h+r)*wd+col] * w[((o*c+ch)*kh+p)*kw+q]
							}
						}
					}
					y[((b*f+o)*oh+i)*ow+j] = s
				}
			}
		}
	}
	return y, [4]int{n, f, oh, ow}
}

func randoms(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.Float64()*2 - 1
	}
	return v
}

func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// TestConv2DForward compares the im2col kernel with the formula, in both
// element types, writing into a preallocated value as an executor does.
func TestConv2DForward(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		x, w        [4]int
		stride, pad [2]int
	}{
		{"3x3/pad1", [4]int{2, 3, 6, 5}, [4]int{4, 3, 3, 3}, [2]int{1, 1}, [2]int{1, 1}},
		{"3x3/stride2/pad1", [4]int{2, 2, 7, 8}, [4]int{3, 2, 3, 3}, [2]int{2, 2}, [2]int{1, 1}},
		{"2x3/stride2x1/pad1x0", [4]int{1, 2, 5, 6}, [4]int{2, 2, 2, 3}, [2]int{2, 1}, [2]int{1, 0}},
		{"1x1", [4]int{3, 4, 2, 3}, [4]int{5, 4, 1, 1}, [2]int{1, 1}, [2]int{0, 0}},
		{"kernel wider than image", [4]int{1, 1, 3, 2}, [4]int{1, 1, 3, 5}, [2]int{1, 3}, [2]int{0, 2}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := randoms(rng, c.x[0]*c.x[1]*c.x[2]*c.x[3])
			w := randoms(rng, c.w[0]*c.w[1]*c.w[2]*c.w[3])
			want, ys := naiveConv(x, w, c.x, c.w, c.stride, c.pad)
			op := ops.Conv2DOp{Stride: c.stride, Padding: c.pad}
			for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
				xv, wv := denseOf(dt, c.x[:], x), denseOf(dt, c.w[:], w)
				prealloc, err := ops.NewValue(dt, ys[:])
				if err != nil {
					t.Fatal(err)
				}
				y, err := op.UsePreallocDo(prealloc, xv, wv)
				if err != nil {
					t.Fatal(err)
				}
				if y != prealloc {
					t.Errorf("%v: result not written into the preallocated value", dt)
				}
				if !y.Shape().Eq(tensor.Shape(ys[:])) {
					t.Fatalf("%v: shape %v, want %v", dt, y.Shape(), ys)
				}
				tol := 1e-12
				if dt == tensor.Float32 {
					tol = 1e-5
				}
				got := float64s(y)
				for i := range want {
					if !(math.Abs(got[i]-want[i]) <= tol*(1+math.Abs(want[i]))) { // NaN fails too
						t.Fatalf("%v: y[%d] = %v, want %v", dt, i, got[i], want[i])
					}
				}
			}
		})
	}
}

// TestConv2DShapes checks that impossible geometries are errors when the
// node is built.
func TestConv2DShapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		x, w        []int
		stride, pad [2]int
	}{
		{"channels differ", []int{1, 2, 5, 5}, []int{1, 3, 3, 3}, [2]int{1, 1}, [2]int{0, 0}},
		{"kernel too large", []int{1, 1, 2, 5}, []int{1, 1, 3, 3}, [2]int{1, 1}, [2]int{0, 0}},
		{"stride 0", []int{1, 1, 5, 5}, []int{1, 1, 3, 3}, [2]int{0, 1}, [2]int{0, 0}},
		{"negative padding", []int{1, 1, 5, 5}, []int{1, 1, 3, 3}, [2]int{1, 1}, [2]int{-1, 0}},
	}
	for _, c := range cases {
		g := G.NewGraph()
		x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(c.x...), G.WithName("x"))
		w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(c.w...), G.WithName("w"))
		if _, err := ops.Conv2D(x, w, c.stride, c.pad); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

func denseOf(dt tensor.Dtype, shape []int, v []float64) *tensor.Dense {
	if dt == tensor.Float32 {
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(toF32(v)))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), v...)))
}

func float64s(v G.Value) []float64 {
	switch d := v.Data().(type) {
	case []float64:
		return d
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	}
	return nil
}

package backendtest

import (
	"math"

	"github.com/neurone-dl/neurone/graph"
)

// refMLP is a plain-Go float64 implementation of graph.MLP with the binary
// cross-entropy loss: the reference the backends are compared with. It
// shares no code with the ops.
type refMLP struct {
	acts []graph.Activation
	w, b [][]float64 // per layer: out×in weights, out biases
	dims []int       // inputs, then each layer's units
}

func newRefMLP(m *graph.Model) *refMLP {
	r := &refMLP{dims: []int{m.Input.Shape()[1]}}
	for _, l := range m.Layers {
		r.acts = append(r.acts, l.Activation)
		r.w = append(r.w, toFloat64(l.W.Value().Data().([]float32)))
		r.b = append(r.b, toFloat64(l.B.Value().Data().([]float32)))
		r.dims = append(r.dims, l.B.Shape()[0])
	}
	return r
}

func toFloat64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func refAct(name graph.Activation, z float64) float64 {
	switch name {
	case graph.ReLU:
		return math.Max(z, 0)
	case graph.LeakyReLU:
		if z > 0 {
			return z
		}
		return 0.01 * z
	case graph.Sigmoid:
		return 1 / (1 + math.Exp(-z))
	case graph.Tanh:
		return math.Tanh(z)
	case graph.Step, graph.StepSTE:
		if z > 0 {
			return 1
		}
		return 0
	}
	return z
}

// refActGrad is d act/dz at z (with the straight-through rule for step-ste).
func refActGrad(name graph.Activation, z float64) float64 {
	switch name {
	case graph.ReLU:
		if z > 0 {
			return 1
		}
		return 0
	case graph.LeakyReLU:
		if z > 0 {
			return 1
		}
		return 0.01
	case graph.Sigmoid:
		s := 1 / (1 + math.Exp(-z))
		return s * (1 - s)
	case graph.Tanh:
		t := math.Tanh(z)
		return 1 - t*t
	case graph.Step:
		return 0
	case graph.StepSTE:
		if math.Abs(z) <= 1 {
			return 1
		}
		return 0
	}
	return 1
}

// refResult holds the reference forward and backward results.
type refResult struct {
	loss   float64
	output []float64   // after the last activation
	dw, db [][]float64 // per layer
}

// run computes the loss of the network on x (n×inputs) against y and the
// gradient of every parameter.
func (r *refMLP) run(x, y []float64, n int) refResult {
	L := len(r.w)
	hs := [][]float64{x} // layer inputs
	zs := make([][]float64, L)
	for l := 0; l < L; l++ {
		in, out := r.dims[l], r.dims[l+1]
		z := make([]float64, n*out)
		for i := 0; i < n; i++ {
			for j := 0; j < out; j++ {
				s := r.b[l][j]
				for k := 0; k < in; k++ {
					s += hs[l][i*in+k] * r.w[l][j*in+k]
				}
				z[i*out+j] = s
			}
		}
		zs[l] = z
		h := make([]float64, len(z))
		for i, v := range z {
			h[i] = refAct(r.acts[l], v)
		}
		hs = append(hs, h)
	}
	var res refResult
	zL := zs[L-1]
	res.output = hs[L]
	dz := make([]float64, len(zL))
	for i, z := range zL {
		res.loss += math.Max(z, 0) - z*y[i] + math.Log1p(math.Exp(-math.Abs(z)))
		dz[i] = (1/(1+math.Exp(-z)) - y[i]) / float64(len(zL))
	}
	res.loss /= float64(len(zL))
	res.dw = make([][]float64, L)
	res.db = make([][]float64, L)
	for l := L - 1; l >= 0; l-- {
		in, out := r.dims[l], r.dims[l+1]
		dw := make([]float64, out*in)
		db := make([]float64, out)
		for i := 0; i < n; i++ {
			for j := 0; j < out; j++ {
				g := dz[i*out+j]
				db[j] += g
				if g == 0 {
					continue
				}
				for k := 0; k < in; k++ {
					dw[j*in+k] += hs[l][i*in+k] * g
				}
			}
		}
		res.dw[l], res.db[l] = dw, db
		if l == 0 {
			break
		}
		dh := make([]float64, n*in)
		for i := 0; i < n; i++ {
			for k := 0; k < in; k++ {
				var s float64
				for j := 0; j < out; j++ {
					s += dz[i*out+j] * r.w[l][j*in+k]
				}
				dh[i*in+k] = s * refActGrad(r.acts[l-1], zs[l-1][i*in+k])
			}
		}
		dz = dh
	}
	return res
}

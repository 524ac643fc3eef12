package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/cpukernels"
	"github.com/neurone-dl/neurone/ops"
)

// opCase builds, afresh each call, a small graph exercising ops the MLPs of
// the conformance suite do not: element-wise Add and Mul, Sum and its
// gradient Expand, Gorgonia's "+" that adds the gradients of a value read
// twice, products with every transpose, the MSE loss, a softmax inside a
// network and the softmax cross-entropy, and a perceptron of Gorgonia's
// standard ops alone.
type opCase struct {
	name  string
	build func() (backend.Spec, [][]float32, error)
}

func param(g *G.ExprGraph, name string, rng *rand.Rand, shape ...int) *G.Node {
	n := tensor.Shape(shape).TotalSize()
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
	return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(t))
}

func randoms(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	return x
}

var opCases = []opCase{
	{"conv-pool-dropout", convCase},
	{"add-mul-sum", func() (backend.Spec, [][]float32, error) {
		rng := rand.New(rand.NewPCG(1, 2))
		g := G.NewGraph()
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(4, 5), G.WithName("x"))
		w, b := param(g, "w", rng, 5, 3), param(g, "b", rng, 3)
		z, err := ops.MatMul(x, w, false, false)
		if err != nil {
			return backend.Spec{}, nil, err
		}
		h, err := ops.BiasAdd(z, b)
		if err != nil {
			return backend.Spec{}, nil, err
		}
		u, err := ops.Mul(h, z)
		if err != nil {
			return backend.Spec{}, nil, err
		}
		v, err := ops.Add(u, h)
		if err != nil {
			return backend.Spec{}, nil, err
		}
		loss, err := ops.Sum(v)
		if err != nil {
			return backend.Spec{}, nil, err
		}
		return withGrads(loss, []*G.Node{x}, []*G.Node{w, b}, [][]float32{randoms(rng, 20)})
	}},
	{"transposes-mse", func() (backend.Spec, [][]float32, error) {
		rng := rand.New(rand.NewPCG(3, 4))
		g := G.NewGraph()
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(4, 5), G.WithName("x"))
		t := G.NewMatrix(g, tensor.Float32, G.WithShape(3, 4), G.WithName("t"))
		w := param(g, "w", rng, 5, 3)
		v := param(g, "v", rng, 4, 4)
		q, err := ops.MatMul(w, x, true, true) // wᵀ·xᵀ: 3×4
		if err != nil {
			return backend.Spec{}, nil, err
		}
		r, err := ops.MatMul(q, v, false, true) // q·vᵀ: 3×4
		if err != nil {
			return backend.Spec{}, nil, err
		}
		loss, err := ops.MSE(r, t)
		if err != nil {
			return backend.Spec{}, nil, err
		}
		return withGrads(loss, []*G.Node{x, t}, []*G.Node{w, v}, [][]float32{randoms(rng, 20), randoms(rng, 12)})
	}},
	{"softmax-xent", func() (backend.Spec, [][]float32, error) { return softmaxCase(1) }},
	// Logits of ±3000: e^z would overflow even a double without the
	// subtraction of each row's maximum, which is in the last column.
	{"softmax-xent/huge-logits", func() (backend.Spec, [][]float32, error) { return softmaxCase(3000) }},
	// Clipping to a norm the gradients far exceed, with a weight large
	// enough that its sum of squares spans several blocks. The step is
	// then 0.1 long (the learning rate times the clipping norm), enough
	// for a wrong norm to show in the parameters.
	{"clipped-sgd", func() (backend.Spec, [][]float32, error) {
		rng := rand.New(rand.NewPCG(9, 10))
		g := G.NewGraph()
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(4, 1000), G.WithName("x"))
		t := G.NewMatrix(g, tensor.Float32, G.WithShape(4, 40), G.WithName("t"))
		w := param(g, "w", rng, 40, 1000)
		y, err := ops.MatMul(x, w, false, true)
		if err != nil {
			return backend.Spec{}, nil, err
		}
		loss, err := ops.MSE(y, t)
		if err != nil {
			return backend.Spec{}, nil, err
		}
		spec, feed, err := withGrads(loss, []*G.Node{x, t}, []*G.Node{w}, [][]float32{randoms(rng, 4000), randoms(rng, 160)})
		spec.Optimizer.ClipNorm = 1
		return spec, feed, err
	}},
	{"avgpool", avgPoolCase},
	{"batchnorm", batchNormCase},
	{"plain-gorgonia-mlp", plainMLP},
}

// softmaxCase is a softmax inside a network (attention-like weights over
// 6 values) and the softmax cross-entropy of 3 logits from it plus a
// bias, against one-hot, smoothed, and partial targets (a row adding up
// to 0.5). A nonzero offset sets the bias to (−offset, 0, offset).
func softmaxCase(offset float32) (backend.Spec, [][]float32, error) {
	rng := rand.New(rand.NewPCG(7, 8))
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(5, 4), G.WithName("x"))
	t := G.NewMatrix(g, tensor.Float32, G.WithShape(5, 3), G.WithName("t"))
	w, v, b := param(g, "w", rng, 6, 4), param(g, "v", rng, 3, 6), param(g, "b", rng, 3)
	if offset != 0 {
		copy(cpukernels.Float32s(b.Value()), []float32{-offset, 0, offset})
	}
	h, err := ops.MatMul(x, w, false, true)
	if err != nil {
		return backend.Spec{}, nil, err
	}
	a, err := ops.Softmax(h)
	if err != nil {
		return backend.Spec{}, nil, err
	}
	z, err := ops.MatMul(a, v, false, true)
	if err == nil {
		z, err = ops.BiasAdd(z, b)
	}
	if err != nil {
		return backend.Spec{}, nil, err
	}
	loss, err := ops.SoftmaxCrossEntropy(z, t)
	if err != nil {
		return backend.Spec{}, nil, err
	}
	targets := []float32{1, 0, 0, 0, 1, 0, 0, 0, 1, 0.2, 0.5, 0.3, 0, 0.5, 0}
	return withGrads(loss, []*G.Node{x, t}, []*G.Node{w, v, b}, [][]float32{randoms(rng, 20), targets})
}

// avgPoolCase is a convolution, overlapping average pooling, then global
// average pooling into a dense layer, under an MSE loss.
func avgPoolCase() (backend.Spec, [][]float32, error) {
	rng := rand.New(rand.NewPCG(11, 12))
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(2, 2, 7, 6), G.WithName("x"))
	t := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 2), G.WithName("t"))
	w, v := param(g, "w", rng, 3, 2, 3, 3), param(g, "v", rng, 3, 2)
	y, err := ops.Conv2D(x, w, [2]int{1, 1}, [2]int{1, 1}) // 3×7×6
	if err == nil {
		y, err = ops.ReLU(y)
	}
	if err == nil {
		y, err = ops.AvgPool2D(y, [2]int{3, 2}, [2]int{2, 1}) // 3×3×5
	}
	if err == nil {
		y, err = ops.AvgPool2D(y, [2]int{3, 5}, [2]int{1, 1}) // 3×1×1
	}
	if err == nil {
		y, err = ops.Flatten(y)
	}
	if err == nil {
		y, err = ops.MatMul(y, v, false, false)
	}
	if err != nil {
		return backend.Spec{}, nil, err
	}
	loss, err := ops.MSE(y, t)
	if err != nil {
		return backend.Spec{}, nil, err
	}
	return withGrads(loss, []*G.Node{x, t}, []*G.Node{w, v}, [][]float32{randoms(rng, 2*2*7*6), randoms(rng, 4)})
}

// batchNormCase is batch normalisation of feature maps after a
// convolution and of features after a dense layer, with running
// statistics that are not the fresh ones (so evaluation's use of them
// shows), under an MSE loss; the training step updates them.
func batchNormCase() (backend.Spec, [][]float32, error) {
	rng := rand.New(rand.NewPCG(13, 14))
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(4, 2, 5, 4), G.WithName("x"))
	t := G.NewMatrix(g, tensor.Float32, G.WithShape(4, 3), G.WithName("t"))
	w, v := param(g, "w", rng, 3, 2, 3, 3), param(g, "v", rng, 3, 30)
	gamma1, beta1, gamma2, beta2 := param(g, "g1", rng, 3), param(g, "b1", rng, 3), param(g, "g2", rng, 3), param(g, "b2", rng, 3)
	rm1, rm2 := param(g, "rm1", rng, 3), param(g, "rm2", rng, 3)
	rv1, rv2 := param(g, "rv1", rng, 3), param(g, "rv2", rng, 3)
	for _, r := range []*G.Node{rv1, rv2} {
		for i, v := range cpukernels.Float32s(r.Value()) {
			cpukernels.Float32s(r.Value())[i] = 0.5 + v*v
		}
	}
	var updates []graph.Update
	norm := func(h, gamma, beta, rm, rv *G.Node) (*G.Node, error) {
		stats, err := ops.BatchNormStats(h)
		if err != nil {
			return nil, err
		}
		m, err := ops.BatchNormRunning(h, stats, rm, 0.1, false)
		if err != nil {
			return nil, err
		}
		r, err := ops.BatchNormRunning(h, stats, rv, 0.1, true)
		if err != nil {
			return nil, err
		}
		updates = append(updates, graph.Update{Buffer: rm, Value: m}, graph.Update{Buffer: rv, Value: r})
		return ops.BatchNorm(h, stats, gamma, beta, rm, rv, 1e-5)
	}
	h, err := ops.Conv2D(x, w, [2]int{1, 1}, [2]int{1, 0}) // 4×3×5×2
	if err == nil {
		h, err = norm(h, gamma1, beta1, rm1, rv1)
	}
	if err == nil {
		h, err = ops.ReLU(h)
	}
	if err == nil {
		h, err = ops.Flatten(h)
	}
	if err == nil {
		h, err = ops.MatMul(h, v, false, true) // 4×3
	}
	if err == nil {
		h, err = norm(h, gamma2, beta2, rm2, rv2)
	}
	if err != nil {
		return backend.Spec{}, nil, err
	}
	loss, err := ops.MSE(h, t)
	if err != nil {
		return backend.Spec{}, nil, err
	}
	spec, feed, err := withGrads(loss, []*G.Node{x, t}, []*G.Node{w, v, gamma1, beta1, gamma2, beta2},
		[][]float32{randoms(rng, 4*2*5*4), randoms(rng, 12)})
	spec.Updates = updates
	return spec, feed, err
}

// convCase is a convolution with unequal strides, paddings and kernel
// sides, a channel bias and ReLU, overlapping pooling windows, dropout,
// a flatten and a dense layer, under an MSE loss.
func convCase() (backend.Spec, [][]float32, error) {
	rng := rand.New(rand.NewPCG(5, 6))
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(2, 2, 9, 8), G.WithName("x"))
	t := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("t"))
	w, b := param(g, "w", rng, 3, 2, 3, 2), param(g, "b", rng, 3)
	v := param(g, "v", rng, 3*2*2, 3)
	var err error
	step := func(f func() (*G.Node, error)) *G.Node {
		n, e := f()
		if err == nil {
			err = e
		}
		return n
	}
	y := step(func() (*G.Node, error) { return ops.Conv2D(x, w, [2]int{2, 1}, [2]int{1, 0}) }) // 3×5×7
	y = step(func() (*G.Node, error) { return ops.ChannelBiasAdd(y, b) })
	y = step(func() (*G.Node, error) { return ops.ReLU(y) })
	y = step(func() (*G.Node, error) { return ops.MaxPool2D(y, [2]int{3, 3}, [2]int{2, 3}) }) // 3×2×2
	if err != nil {
		return backend.Spec{}, nil, err
	}
	y = step(func() (*G.Node, error) { return ops.Dropout(y, 0.3, 9) })
	y = step(func() (*G.Node, error) { return ops.Flatten(y) })
	if err == nil && y.Shape()[1] != v.Shape()[0] {
		return backend.Spec{}, nil, fmt.Errorf("flattened %v does not fit %v", y.Shape(), v.Shape())
	}
	y = step(func() (*G.Node, error) { return ops.MatMul(y, v, false, false) })
	loss := step(func() (*G.Node, error) { return ops.MSE(y, t) })
	if err != nil {
		return backend.Spec{}, nil, err
	}
	return withGrads(loss, []*G.Node{x, t}, []*G.Node{w, b, v}, [][]float32{randoms(rng, 2*2*9*8), randoms(rng, 6)})
}

func withGrads(loss *G.Node, inputs, params []*G.Node, feed [][]float32) (backend.Spec, [][]float32, error) {
	grads, err := graph.Grad(loss, params...)
	if err != nil {
		return backend.Spec{}, nil, err
	}
	return backend.Spec{Inputs: inputs, Loss: loss, Outputs: grads, Params: params, Grads: grads,
		Optimizer: optim.NewSGD(0.1)}, feed, nil
}

// compareOps runs each opCase on b and on ref: loss, every gradient, and
// the parameters after one SGD step must agree within tol, relative to the
// largest reference value.
func compareOps(t *testing.T, ref, b backend.Backend, tol float64) {
	for _, c := range opCases {
		t.Run(c.name, func(t *testing.T) {
			var losses [2]float32
			var grads, params [2][][]float32
			for k, be := range []backend.Backend{ref, b} {
				spec, feed, err := c.build()
				if err != nil {
					t.Fatal(err)
				}
				prog, err := be.Compile(spec)
				if err != nil {
					t.Fatal(err)
				}
				defer prog.Close()
				outs := make([][]float32, len(spec.Grads))
				for i, g := range spec.Grads {
					outs[i] = make([]float32, g.Shape().TotalSize())
				}
				if losses[k], err = prog.Evaluate(outs, feed...); err != nil {
					t.Fatal(err)
				}
				grads[k] = outs
				if _, err := prog.Train(feed...); err != nil {
					t.Fatal(err)
				}
				if err := prog.Sync(); err != nil {
					t.Fatal(err)
				}
				for _, p := range spec.Params {
					params[k] = append(params[k], append([]float32(nil), cpukernels.Float32s(p.Value())...))
				}
			}
			if e := relDiff(losses[1:], losses[:1]); e > tol {
				t.Errorf("loss %v, reference %v", losses[1], losses[0])
			}
			for i := range grads[0] {
				if e := relDiff(grads[1][i], grads[0][i]); e > tol {
					t.Errorf("gradient %d: relative error %.2g", i, e)
				}
				if e := relDiff(params[1][i], params[0][i]); e > tol {
					t.Errorf("parameter %d after a step: relative error %.2g", i, e)
				}
			}
		})
	}
}

// relDiff is max|got−want| / max|want| (or the absolute error when want
// is 0), and +Inf where the lengths differ or a value is not finite (a NaN
// would compare false with every tolerance).
func relDiff(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var diff, scale float64
	for i := range want {
		if g, w := float64(got[i]), float64(want[i]); math.IsNaN(g) || math.IsInf(g, 0) || math.IsNaN(w) || math.IsInf(w, 0) {
			return math.Inf(1)
		}
		diff = math.Max(diff, math.Abs(float64(got[i])-float64(want[i])))
		scale = math.Max(scale, math.Abs(float64(want[i])))
	}
	if scale == 0 {
		return diff
	}
	return diff / scale
}

func cpuBackend(t *testing.T) backend.Backend {
	t.Helper()
	b, err := backend.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestPlanOps(t *testing.T) { compareOps(t, cpuBackend(t), simBackend{}, 1e-6) }

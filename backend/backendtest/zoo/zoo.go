// Package zoo is a set of research-style models written with Gorgonia's own
// ops (G.Mul, G.BroadcastAdd, G.Tanh, G.SoftMax, G.BatchedMatMul, ...) the
// way Gorgonia's tutorials write them, differentiated by G.Grad, each with
// the batches it trains on.
//
// A backend that claims to run "graphs written with Gorgonia" is checked
// against Gorgonia's own TapeMachine on every model here (zoo_test.go):
// the same losses, outputs, gradients and parameters after several
// training steps. The models are small, so that the check is quick on any
// backend, emulated ones included, but each one uses its ops the way real
// code does: broadcasting bias adds, products with the transposes the
// backward pass makes, reductions over given axes, slices, reshapes and
// batched products.
package zoo

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/graph"
)

// Model is a model's graph: what a backend.Spec is made of.
type Model struct {
	Inputs  []*G.Node // fed with each batch, in Case.Batch's order
	Loss    *G.Node   // the scalar loss
	Outputs []*G.Node // predictions, read back
	Params  []*G.Node // learnable, float32 values
	Grads   []*G.Node // G.Grad of Loss with respect to each of Params
}

// Case is one model of the zoo.
type Case struct {
	Name string
	// Build adds the model to g, its parameters drawn from a fixed seed,
	// so that two builds start from the same values.
	Build func(g *G.ExprGraph) (*Model, error)
	// Batch returns the inputs fed at every training step, one flat
	// row-major slice per Model.Inputs: one batch, so that a model that
	// learns lowers its loss at each step.
	Batch func() [][]float32
}

// Cases returns the zoo's models.
func Cases() []Case {
	return []Case{
		{"logistic", logistic, data(11, norm(16, 7), labels(16, 1))},
		{"mlp-rectify", mlpRectify, data(12, norm(16, 9), labels(16, 1))},
		{"softmax", softmax, data(13, norm(16, 6), oneHot(16, 4))},
		{"rnn-tanh", rnnTanh, data(14, norm(8, 3*5), norm(8, 2))},
		{"autoencoder", autoencoder, data(15, uniform(16, 12))},
		{"attention", attention, data(16, norm(2*5, 6), norm(2*5, 6))},
		{"dense-mixed", denseMixed, data(17, norm(16, 10), norm(16, 3))},
		{"elementwise", elementwise, data(18, norm(8, 5), norm(8, 1))},
		{"vector-products", vectorProducts, data(19, norm(8, 6), norm(8, 1))},
	}
}

// builder adds a model's nodes to a graph in the style of Gorgonia's
// tutorials: ops through G.Must, whose panics build turns into an error.
type builder struct {
	g      *G.ExprGraph
	rng    *rand.Rand
	params []*G.Node
}

// build runs f on a fresh builder of g whose parameters come from seed,
// and differentiates the loss f returns.
func build(g *G.ExprGraph, seed uint64, f func(b *builder) (inputs []*G.Node, loss *G.Node, outputs []*G.Node)) (m *Model, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("zoo: %v", r)
		}
	}()
	b := &builder{g: g, rng: rand.New(rand.NewPCG(seed, 0x200))}
	inputs, loss, outputs := f(b)
	grads, err := G.Grad(loss, b.params...)
	if err != nil {
		return nil, fmt.Errorf("zoo: G.Grad: %w", err)
	}
	return &Model{Inputs: inputs, Loss: loss, Outputs: outputs, Params: b.params, Grads: grads}, nil
}

// param adds a learnable tensor of the given shape, drawn uniformly from
// ±1/√fanIn, fanIn being its first dimension.
func (b *builder) param(name string, shape ...int) *G.Node {
	v := make([]float32, tensor.Shape(shape).TotalSize())
	s := 1 / math.Sqrt(float64(shape[0]))
	for i := range v {
		v[i] = float32(s * (2*b.rng.Float64() - 1))
	}
	n := G.NewTensor(b.g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))))
	b.params = append(b.params, n)
	return n
}

// input adds a fed tensor of the given shape.
func (b *builder) input(name string, shape ...int) *G.Node {
	return G.NewTensor(b.g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
		G.WithValue(tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))))
}

// scalar is a float32 constant.
func (b *builder) scalar(v float64) *G.Node { return G.NewConstant(float32(v)) }

// affine is x·w + bias, the bias (1×n) broadcast down x·w's rows.
func (b *builder) affine(x, w, bias *G.Node) *G.Node {
	return G.Must(G.BroadcastAdd(G.Must(G.Mul(x, w)), bias, nil, []byte{0}))
}

// bce is the mean binary cross-entropy of probabilities p against y.
func (b *builder) bce(p, y *G.Node) *G.Node {
	one := b.scalar(1)
	pos := G.Must(G.HadamardProd(y, G.Must(G.Log(p))))
	neg := G.Must(G.HadamardProd(G.Must(G.Sub(one, y)), G.Must(G.Log(G.Must(G.Sub(one, p))))))
	return G.Must(G.Neg(G.Must(G.Mean(G.Must(G.Add(pos, neg))))))
}

// mse is the mean squared difference of a and y.
func (b *builder) mse(a, y *G.Node) *G.Node {
	return G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(a, y))))))
}

// logistic is logistic regression: σ(x·w + b) against 0/1 labels.
func logistic(g *G.ExprGraph) (*Model, error) {
	return build(g, 1, func(b *builder) ([]*G.Node, *G.Node, []*G.Node) {
		x, y := b.input("x", 16, 7), b.input("y", 16, 1)
		p := G.Must(G.Sigmoid(b.affine(x, b.param("w", 7, 1), b.param("b", 1, 1))))
		return []*G.Node{x, y}, b.bce(p, y), []*G.Node{p}
	})
}

// mlpRectify is a two-layer perceptron with a rectifier.
func mlpRectify(g *G.ExprGraph) (*Model, error) {
	return build(g, 2, func(b *builder) ([]*G.Node, *G.Node, []*G.Node) {
		x, y := b.input("x", 16, 9), b.input("y", 16, 1)
		h := G.Must(G.Rectify(b.affine(x, b.param("w1", 9, 13), b.param("b1", 1, 13))))
		p := G.Must(G.Sigmoid(b.affine(h, b.param("w2", 13, 1), b.param("b2", 1, 1))))
		return []*G.Node{x, y}, b.bce(p, y), []*G.Node{p}
	})
}

// softmax is a softmax classifier over 4 classes, its cross-entropy from
// G.Log and G.Mean.
func softmax(g *G.ExprGraph) (*Model, error) {
	return build(g, 3, func(b *builder) ([]*G.Node, *G.Node, []*G.Node) {
		x, y := b.input("x", 16, 6), b.input("y", 16, 4)
		p := G.Must(G.SoftMax(b.affine(x, b.param("w", 6, 4), b.param("b", 1, 4))))
		logLik := G.Must(G.Sum(G.Must(G.HadamardProd(y, G.Must(G.Log(p)))), 1))
		return []*G.Node{x, y}, G.Must(G.Neg(G.Must(G.Mean(logLik)))), []*G.Node{p}
	})
}

// rnnTanh is an Elman cell, h ← tanh(xₜ·Wx + h·Wh + b), unrolled over 3
// steps whose inputs are slices of one fed row, and a linear read-out of
// the last state against a regression target.
func rnnTanh(g *G.ExprGraph) (*Model, error) {
	const steps, in, hidden = 3, 5, 8
	return build(g, 4, func(b *builder) ([]*G.Node, *G.Node, []*G.Node) {
		x, y := b.input("x", 8, steps*in), b.input("y", 8, 2)
		wx, wh, bh := b.param("wx", in, hidden), b.param("wh", hidden, hidden), b.param("bh", 1, hidden)
		var h *G.Node
		for t := range steps {
			xt := G.Must(G.Slice(x, nil, G.S(t*in, (t+1)*in)))
			z := b.affine(xt, wx, bh)
			if h != nil {
				z = G.Must(G.Add(z, G.Must(G.Mul(h, wh))))
			}
			h = G.Must(G.Tanh(z))
		}
		out := G.Must(G.Mul(h, b.param("wo", hidden, 2)))
		return []*G.Node{x, y}, b.mse(out, y), []*G.Node{out}
	})
}

// autoencoder squeezes 12 features through 4 sigmoid units and back,
// trained on the mean squared error of the reconstruction.
func autoencoder(g *G.ExprGraph) (*Model, error) {
	return build(g, 5, func(b *builder) ([]*G.Node, *G.Node, []*G.Node) {
		x := b.input("x", 16, 12)
		code := G.Must(G.Sigmoid(b.affine(x, b.param("we", 12, 4), b.param("be", 1, 4))))
		out := b.affine(code, b.param("wd", 4, 12), b.param("bd", 1, 12))
		return []*G.Node{x}, b.mse(out, x), []*G.Node{out, code}
	})
}

// attention is one head of scaled dot-product self-attention over 2
// sequences of 5 tokens of 6 features: queries, keys and values by one
// product each on the flattened tokens, scores by a batched product with
// the transposed keys, a softmax over the keys, and the weighted values.
func attention(g *G.ExprGraph) (*Model, error) {
	const batch, tokens, dim = 2, 5, 6
	return build(g, 6, func(b *builder) ([]*G.Node, *G.Node, []*G.Node) {
		x, y := b.input("x", batch*tokens, dim), b.input("y", batch*tokens, dim)
		project := func(name string) *G.Node {
			return G.Must(G.Reshape(G.Must(G.Mul(x, b.param(name, dim, dim))), tensor.Shape{batch, tokens, dim}))
		}
		q, k, v := project("wq"), project("wk"), project("wv")
		kt := G.Must(G.Transpose(k, 0, 2, 1))
		scores := G.Must(G.HadamardProd(G.Must(G.BatchedMatMul(q, kt)), b.scalar(1/math.Sqrt(dim))))
		weights := G.Must(G.SoftMax(scores))
		out := G.Must(G.Reshape(G.Must(G.BatchedMatMul(weights, v)), tensor.Shape{batch * tokens, dim}))
		return []*G.Node{x, y}, b.mse(out, y), []*G.Node{out}
	})
}

// denseMixed is a graph.Dense layer (Neurone's own ops) under a read-out
// written with Gorgonia's.
func denseMixed(g *G.ExprGraph) (*Model, error) {
	return build(g, 7, func(b *builder) ([]*G.Node, *G.Node, []*G.Node) {
		x, y := b.input("x", 16, 10), b.input("y", 16, 3)
		hidden, err := graph.Dense(x, 12, graph.ReLU, "hidden", nil, b.rng)
		if err != nil {
			panic(err)
		}
		b.params = append(b.params, hidden.W, hidden.B)
		out := G.Must(G.Tanh(G.Must(G.Mul(hidden.Output, b.param("wo", 12, 3)))))
		return []*G.Node{x, y}, b.mse(out, y), []*G.Node{out}
	})
}

// elementwise runs a product's result through the rest of Gorgonia's
// element-wise vocabulary (Exp, Abs, Log1p, Cube, Sqrt, Inverse, Pow,
// Sign, HadamardDiv), joins the branches with Concat, and reduces them
// with Max and Sum over an axis.
func elementwise(g *G.ExprGraph) (*Model, error) {
	return build(g, 8, func(b *builder) ([]*G.Node, *G.Node, []*G.Node) {
		x, y := b.input("x", 8, 5), b.input("y", 8, 1)
		z := G.Must(G.Mul(x, b.param("w", 5, 4)))
		one := b.scalar(1)
		branches := []*G.Node{
			G.Must(G.Exp(G.Must(G.Neg(G.Must(G.Abs(z)))))),
			G.Must(G.Log1p(G.Must(G.Square(z)))),
			G.Must(G.Cube(G.Must(G.Tanh(z)))),
			G.Must(G.Inverse(G.Must(G.Add(G.Must(G.Sqrt(G.Must(G.Add(G.Must(G.Square(z)), one)))), one)))),
			G.Must(G.Pow(G.Must(G.Sigmoid(z)), b.scalar(3))),
			G.Must(G.HadamardDiv(G.Must(G.HadamardProd(G.Must(G.Sign(z)), z)), G.Must(G.Add(G.Must(G.Abs(z)), one)))),
		}
		feats := G.Must(G.Concat(1, branches...))
		score := G.Must(G.Add(G.Must(G.Max(feats, 1)), G.Must(G.Mean(feats, 1))))
		out := G.Must(G.Reshape(score, tensor.Shape{8, 1}))
		return []*G.Node{x, y}, b.mse(out, y), []*G.Node{out}
	})
}

// vectorProducts is a linear model by a matrix-vector product, plus an
// offset that is the dot product of two learnt vectors.
func vectorProducts(g *G.ExprGraph) (*Model, error) {
	return build(g, 9, func(b *builder) ([]*G.Node, *G.Node, []*G.Node) {
		x, y := b.input("x", 8, 6), b.input("y", 8)
		w := b.param("w", 6)
		offset := G.Must(G.Mul(b.param("u", 3), b.param("v", 3)))
		out := G.Must(G.Add(G.Must(G.Mul(x, w)), offset))
		return []*G.Node{x, y}, b.mse(out, y), []*G.Node{out}
	})
}

// data returns a Batch function drawing each input with its generator from
// seed.
func data(seed uint64, gens ...func(*rand.Rand) []float32) func() [][]float32 {
	return func() [][]float32 {
		rng := rand.New(rand.NewPCG(seed, 0x5eed))
		out := make([][]float32, len(gens))
		for i, gen := range gens {
			out[i] = gen(rng)
		}
		return out
	}
}

// norm draws rows×cols standard normal values.
func norm(rows, cols int) func(*rand.Rand) []float32 {
	return func(rng *rand.Rand) []float32 {
		v := make([]float32, rows*cols)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
}

// uniform draws rows×cols values uniformly in [0, 1).
func uniform(rows, cols int) func(*rand.Rand) []float32 {
	return func(rng *rand.Rand) []float32 {
		v := make([]float32, rows*cols)
		for i := range v {
			v[i] = rng.Float32()
		}
		return v
	}
}

// labels draws rows×cols labels, 0 or 1.
func labels(rows, cols int) func(*rand.Rand) []float32 {
	return func(rng *rand.Rand) []float32 {
		v := make([]float32, rows*cols)
		for i := range v {
			v[i] = float32(rng.IntN(2))
		}
		return v
	}
}

// oneHot draws rows one-hot rows over classes classes.
func oneHot(rows, classes int) func(*rand.Rand) []float32 {
	return func(rng *rand.Rand) []float32 {
		v := make([]float32, rows*classes)
		for r := range rows {
			v[r*classes+rng.IntN(classes)] = 1
		}
		return v
	}
}

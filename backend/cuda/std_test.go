package cuda

import (
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/graph/optim"
)

// stdCase is a graph of Gorgonia's standard ops: f of parameters of the
// given shapes, whose values are uniform in [lo, lo+1) (positive for a
// logarithm, a root, a power or an inverse), weighted by a random constant
// and summed into the loss, so that every gradient element matters; the
// backward pass is Gorgonia's own (G.Grad).
type stdCase struct {
	name   string
	shapes [][]int
	lo     float64
	f      func(p []*G.Node) (*G.Node, error)
}

// forwardOnly are the cases whose gradient Gorgonia gets wrong: their
// forward pass alone is compared. Gorgonia differentiates x⊗y into x·dz
// and y·dz, which is wrong (and of the wrong shape unless x and y have
// one length).
var forwardOnly = map[string]bool{"OuterProd": true}

// cpuLacks are the cases the CPU backend cannot run, with the reason:
// they are checked by central differences only.
var cpuLacks = map[string]string{
	"Mul/dot": "backend/cpu preallocates a tensor for the scalar of a dot product",
}

func one(f func(*G.Node) (*G.Node, error)) func(p []*G.Node) (*G.Node, error) {
	return func(p []*G.Node) (*G.Node, error) { return f(p[0]) }
}

func two(f func(a, b *G.Node) (*G.Node, error)) func(p []*G.Node) (*G.Node, error) {
	return func(p []*G.Node) (*G.Node, error) { return f(p[0], p[1]) }
}

// scalarOf is the sum of p: a scalar node that carries a gradient (a
// parameter is a tensor).
func scalarOf(p *G.Node) *G.Node { return G.Must(G.Sum(p)) }

func c32(v float32) *G.Node { return G.NewConstant(v) }

var stdCases = []stdCase{
	// Products, with every transpose Gorgonia's gradients make.
	{"Mul/matrix", [][]int{{3, 7}, {7, 6}}, -0.5, two(G.Mul)},
	{"Mul/transposed", [][]int{{3, 7}, {6, 7}}, -0.5, two(func(a, b *G.Node) (*G.Node, error) { return G.Mul(a, G.Must(G.Transpose(b))) })},
	{"Mul/matrix-vector", [][]int{{3, 7}, {7}}, -0.5, two(G.Mul)},
	{"Mul/vector-matrix", [][]int{{3}, {3, 7}}, -0.5, two(G.Mul)},
	{"Mul/dot", [][]int{{7}, {7}}, -0.5, two(G.Mul)},
	{"OuterProd", [][]int{{3}, {7}}, -0.5, two(G.OuterProd)},
	{"BatchedMatMul", [][]int{{2, 3, 4}, {2, 4, 6}}, -0.5, two(func(a, b *G.Node) (*G.Node, error) { return G.BatchedMatMul(a, b) })},
	{"BatchedMatMul/transposed", [][]int{{2, 4, 3}, {2, 6, 4}}, -0.5, two(func(a, b *G.Node) (*G.Node, error) { return G.BatchedMatMul(a, b, true, true) })},
	// Element-wise binary ops, same shapes, broadcast along each axis,
	// and with a scalar.
	{"Add", [][]int{{3, 7}, {3, 7}}, -0.5, two(G.Add)},
	{"Sub", [][]int{{3, 7}, {3, 7}}, -0.5, two(G.Sub)},
	{"HadamardProd", [][]int{{3, 7}, {3, 7}}, -0.5, two(G.HadamardProd)},
	{"HadamardDiv", [][]int{{3, 7}, {3, 7}}, 0.5, two(G.HadamardDiv)},
	{"BroadcastAdd/axis0", [][]int{{3, 7}, {1, 7}}, -0.5, two(func(a, b *G.Node) (*G.Node, error) { return G.BroadcastAdd(a, b, nil, []byte{0}) })},
	{"BroadcastSub/axis1", [][]int{{3, 1}, {3, 7}}, -0.5, two(func(a, b *G.Node) (*G.Node, error) { return G.BroadcastSub(a, b, []byte{1}, nil) })},
	{"BroadcastHadamardProd/axes0,2", [][]int{{2, 3, 6}, {1, 3, 1}}, -0.5, two(func(a, b *G.Node) (*G.Node, error) {
		return G.BroadcastHadamardProd(a, b, nil, []byte{0, 2})
	})},
	{"BroadcastHadamardDiv/axis1", [][]int{{2, 3, 6}, {2, 1, 6}}, 0.5, two(func(a, b *G.Node) (*G.Node, error) {
		return G.BroadcastHadamardDiv(a, b, nil, []byte{1})
	})},
	{"Add/scalar", [][]int{{3, 7}, {1}}, -0.5, two(func(a, b *G.Node) (*G.Node, error) { return G.Add(a, scalarOf(b)) })},
	{"Sub/scalar-left", [][]int{{1}, {3, 7}}, -0.5, two(func(a, b *G.Node) (*G.Node, error) { return G.Sub(scalarOf(a), b) })},
	{"HadamardProd/scalar", [][]int{{3, 7}, {1}}, -0.5, two(func(a, b *G.Node) (*G.Node, error) { return G.HadamardProd(a, scalarOf(b)) })},
	{"HadamardDiv/scalar-left", [][]int{{1}, {3, 7}}, 0.5, two(func(a, b *G.Node) (*G.Node, error) { return G.HadamardDiv(scalarOf(a), b) })},
	{"HadamardDiv/constant", [][]int{{3, 7}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.HadamardDiv(a, c32(3)) })},
	{"Pow/constant", [][]int{{3, 7}}, 0.5, one(func(a *G.Node) (*G.Node, error) { return G.Pow(a, c32(2.5)) })},
	{"Add/constant-tensor", [][]int{{2, 3}}, -0.5, one(func(a *G.Node) (*G.Node, error) {
		return G.Add(a, G.NewConstant(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float32{1, -2, 3, 0.5, 0, 7}))))
	})},
	// Element-wise unary ops.
	{"Neg", [][]int{{3, 7}}, -0.5, one(G.Neg)},
	{"Square", [][]int{{3, 7}}, -0.5, one(G.Square)},
	{"Sqrt", [][]int{{3, 7}}, 0.5, one(G.Sqrt)},
	{"Inverse", [][]int{{3, 7}}, 0.5, one(G.Inverse)},
	{"Exp", [][]int{{3, 7}}, -0.5, one(G.Exp)},
	{"Log", [][]int{{3, 7}}, 0.5, one(G.Log)},
	{"Log1p", [][]int{{3, 7}}, -0.4, one(G.Log1p)},
	{"Abs", [][]int{{3, 7}}, -0.5, one(G.Abs)},
	{"Sign", [][]int{{3, 7}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.HadamardProd(G.Must(G.Sign(a)), a) })},
	{"Cube", [][]int{{3, 7}}, -0.5, one(G.Cube)},
	{"Tanh", [][]int{{3, 7}}, -0.5, one(G.Tanh)},
	{"Sigmoid", [][]int{{3, 7}}, -0.5, one(G.Sigmoid)},
	{"Rectify", [][]int{{3, 7}}, -0.5, one(G.Rectify)},
	{"Softplus", [][]int{{3, 7}}, -0.5, one(G.Softplus)},
	// Softmaxes.
	{"SoftMax", [][]int{{3, 7}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.SoftMax(a) })},
	{"SoftMax/vector", [][]int{{7}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.SoftMax(a) })},
	{"LogSoftMax", [][]int{{3, 7}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.LogSoftMax(a) })},
	{"LogSumExp/vector", [][]int{{7}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.LogSumExp(a, 0) })},
	// Reductions.
	{"Sum", [][]int{{3, 7}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Sum(a) })},
	{"Sum/axis1", [][]int{{3, 7}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Sum(a, 1) })},
	{"Sum/axes0,2", [][]int{{3, 4, 6}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Sum(a, 0, 2) })},
	{"Sum/axis0-rows", [][]int{{300, 3}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Sum(a, 0) })},
	{"Sum/axis1-blocks", [][]int{{3, 300}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Sum(a, 1) })},
	{"Mean", [][]int{{3, 7}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Mean(a) })},
	{"Mean/axis0", [][]int{{3, 7}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Mean(a, 0) })},
	{"Mean/axes1,2", [][]int{{2, 3, 6}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Mean(a, 1, 2) })},
	{"Max/axis1", [][]int{{3, 7}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Max(a, 1) })},
	{"Max/axes0,2", [][]int{{3, 4, 6}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Max(a, 0, 2) })},
	{"Max/axis0-blocks", [][]int{{300, 2}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Max(a, 0) })},
	// Shapes.
	{"Reshape", [][]int{{3, 8}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Reshape(a, tensor.Shape{4, 6}) })},
	{"Transpose", [][]int{{3, 7}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Transpose(a) })},
	{"Transpose/3d", [][]int{{2, 3, 6}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Transpose(a, 2, 0, 1) })},
	{"Transpose/5d-merging", [][]int{{2, 3, 2, 2, 3}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Transpose(a, 0, 1, 2, 4, 3) })},
	{"Transpose/4d", [][]int{{2, 3, 4, 5}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Transpose(a, 3, 1, 0, 2) })},
	{"Concat/axis0", [][]int{{3, 7}, {2, 7}}, -0.5, two(func(a, b *G.Node) (*G.Node, error) { return G.Concat(0, a, b) })},
	{"Concat/axis1", [][]int{{3, 7}, {3, 2}, {3, 1}}, -0.5, func(p []*G.Node) (*G.Node, error) { return G.Concat(1, p...) }},
	{"Slice/steps", [][]int{{6, 7}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Slice(a, G.S(1, 5), G.S(1, 7, 3)) })},
	{"Slice/index", [][]int{{3, 7, 2}}, -0.5, one(func(a *G.Node) (*G.Node, error) { return G.Slice(a, nil, G.S(4)) })},
}

// build makes c's graph: its spec (parameters, loss, their gradients)
// and the constant that weights the loss.
func (c stdCase) build() (backend.Spec, error) {
	rng := rand.New(rand.NewPCG(15, uint64(len(c.name))))
	g := G.NewGraph()
	var params []*G.Node
	for i, s := range c.shapes {
		data := make([]float32, tensor.Shape(s).TotalSize())
		for j := range data {
			data[j] = float32(c.lo + rng.Float64())
		}
		params = append(params, G.NewTensor(g, tensor.Float32, len(s), G.WithShape(s...), G.WithName(string(rune('a'+i))),
			G.WithValue(tensor.New(tensor.WithShape(s...), tensor.WithBacking(data)))))
	}
	out, err := c.f(params)
	if err != nil || forwardOnly[c.name] {
		return backend.Spec{Outputs: []*G.Node{out}}, err // the parameters are constants
	}
	loss := out
	if !out.IsScalar() {
		weights := make([]float32, out.Shape().TotalSize())
		for j := range weights {
			weights[j] = float32(rng.Float64()*2 - 1)
		}
		w := G.NewConstant(tensor.New(tensor.WithShape(out.Shape().Clone()...), tensor.WithBacking(weights)))
		if loss, err = G.HadamardProd(out, w); err == nil {
			loss, err = G.Sum(loss)
		}
		if err != nil {
			return backend.Spec{}, err
		}
	}
	grads, err := G.Grad(loss, params...)
	if err != nil {
		return backend.Spec{}, err
	}
	return backend.Spec{Loss: loss, Outputs: []*G.Node{out}, Params: params, Grads: grads, Optimizer: optim.NewSGD(0.1)}, nil
}

// stdInstrs are instructions that some cases must lower to: the fast
// paths, and each family's.
var stdInstrs = map[string]string{
	"Sum/axis0-rows":                "sumRowsArgs", // cuBLAS, not a reduction kernel
	"Sum/axis1-blocks":              "axesArgs",
	"Mul/matrix":                    "gemmArgs",
	"Mul/dot":                       "gemmArgs",
	"BatchedMatMul":                 "batchedArgs",
	"Add/scalar":                    "ewBinaryArgs",
	"Add":                           "binaryArgs", // the kernel ops.Add runs
	"Exp":                           "unaryArgs",
	"Mean":                          "fillArgs",
	"Transpose/5d-merging":          "viewArgs",
	"Sum":                           "viewArgs", // the repeats of its gradient, read by no binary op
	"BroadcastAdd/axis0":            "broadcastArgs",
	"BroadcastHadamardProd/axes0,2": "broadcastArgs",
	"Mean/axes1,2":                  "broadcastArgs",
	"Concat/axis1":                  "concatArgs",
	"Slice/steps":                   "sliceArgs",
	"LogSoftMax":                    "stdSoftmaxArgs",
}

// Every node of each standard op's forward and backward graph, as G.Grad
// makes it, lowers to the kernels and cuBLAS calls.
func TestStdOpsLower(t *testing.T) {
	for _, c := range stdCases {
		spec, err := c.build()
		if err != nil {
			t.Errorf("%s: building: %v", c.name, err)
			continue
		}
		l, err := lower(spec)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		kinds := map[string]bool{}
		for _, in := range l.instrs {
			kinds[what(&in)] = true
		}
		if want := stdInstrs[c.name]; want != "" && !kinds[want] {
			t.Errorf("%s: no instruction %s among %v", c.name, want, kinds)
		}
	}
}

// Every op that the kernels do not run, or run in part, is in doc.go's
// list.
func TestUnsupportedListed(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(strings.ReplaceAll(string(doc), "\n//", "")), " ")
	for _, h := range unsupportedHints {
		if !strings.Contains(text, h.api) {
			t.Errorf("doc.go does not list %s among the unsupported ops", h.api)
		}
	}
}

// compareStdOps runs each stdCase on b and on ref: the output, the loss
// and every gradient must agree within tol, relative to the largest
// reference value.
func compareStdOps(t *testing.T, ref, b backend.Backend, tol float64) {
	for _, c := range stdCases {
		t.Run(c.name, func(t *testing.T) {
			if why := cpuLacks[c.name]; why != "" {
				t.Skip(why)
			}
			var results [2][][]float32
			for k, be := range []backend.Backend{ref, b} {
				spec, err := c.build()
				if err != nil {
					t.Fatal(err)
				}
				results[k] = runStd(t, be, spec)
			}
			for i := range results[0] {
				if e := relDiff(results[1][i], results[0][i]); e > tol {
					t.Errorf("value %d (output, loss, gradients): relative error %.2g\n got %v\nwant %v", i, e, results[1][i], results[0][i])
				}
			}
		})
	}
}

// runStd runs spec once on b: its output, then, with a loss, the loss and
// the gradients.
func runStd(t *testing.T, b backend.Backend, spec backend.Spec) [][]float32 {
	t.Helper()
	prog, err := b.Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	outs := make([][]float32, len(spec.Outputs)+len(spec.Grads))
	for i, o := range append(spec.Outputs[:len(spec.Outputs):len(spec.Outputs)], spec.Grads...) {
		outs[i] = make([]float32, o.Shape().TotalSize())
	}
	if spec.Loss == nil {
		if err := prog.Predict(outs); err != nil {
			t.Fatal(err)
		}
		return outs
	}
	spec.Outputs = append(spec.Outputs, spec.Grads...)
	prog2, err := b.Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer prog2.Close()
	loss, err := prog2.Evaluate(outs)
	if err != nil {
		t.Fatal(err)
	}
	return append([][]float32{{loss}}, outs...)
}

// The lowering of each standard op, carried out in Go, computes what the
// CPU backend does.
func TestPlanStdOps(t *testing.T) { compareStdOps(t, cpuBackend(t), simBackend{}, 2e-6) }

// A transpose whose axes do not merge into 4 is ErrUnsupported that says
// to merge them, naming the node; one whose do runs (Transpose/5d-merging).
func TestUnsupportedTransposeAxes(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 5, G.WithShape(2, 3, 2, 3, 2), G.WithName("x"))
	y, err := G.Transpose(x, 4, 3, 2, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lower(backend.Spec{Inputs: []*G.Node{x}, Outputs: []*G.Node{y}})
	if !errors.Is(err, backend.ErrUnsupported) || !strings.Contains(err.Error(), y.Name()) || !strings.Contains(err.Error(), "G.Reshape") {
		t.Errorf("lower = %v, want ErrUnsupported naming node %s and G.Reshape", err, y.Name())
	}
}

// plainMLP is a perceptron written with Gorgonia's standard ops only, as
// a user would: G.Mul, G.BroadcastAdd, G.Rectify, G.Tanh, G.Sigmoid and
// a binary cross-entropy of G.Log, G.Neg and G.Mean, with G.Grad's
// backward pass; 7 samples of 6 features, 5 and 3 hidden units.
func plainMLP() (backend.Spec, [][]float32, error) {
	rng := rand.New(rand.NewPCG(21, 22))
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(7, 6), G.WithName("x"))
	t := G.NewMatrix(g, tensor.Float32, G.WithShape(7, 1), G.WithName("t"))
	w1, b1 := param(g, "w1", rng, 6, 5), param(g, "b1", rng, 1, 5)
	w2, b2 := param(g, "w2", rng, 5, 3), param(g, "b2", rng, 1, 3)
	w3 := param(g, "w3", rng, 3, 1)
	layer := func(h, w, b *G.Node, act func(*G.Node) (*G.Node, error)) (*G.Node, error) {
		z, err := G.Mul(h, w)
		if err == nil {
			z, err = G.BroadcastAdd(z, b, nil, []byte{0})
		}
		if err != nil {
			return nil, err
		}
		return act(z)
	}
	h, err := layer(x, w1, b1, G.Rectify)
	if err == nil {
		h, err = layer(h, w2, b2, G.Tanh)
	}
	var p *G.Node
	if err == nil {
		p, err = G.Mul(h, w3)
	}
	if err != nil {
		return backend.Spec{}, nil, err
	}
	p = G.Must(G.Sigmoid(p))
	one := G.NewConstant(float32(1))
	pos := G.Must(G.HadamardProd(t, G.Must(G.Log(p))))
	neg := G.Must(G.HadamardProd(G.Must(G.Sub(one, t)), G.Must(G.Log(G.Must(G.Sub(one, p))))))
	loss := G.Must(G.Neg(G.Must(G.Mean(G.Must(G.Add(pos, neg))))))
	params := []*G.Node{w1, b1, w2, b2, w3}
	grads, err := G.Grad(loss, params...)
	if err != nil {
		return backend.Spec{}, nil, err
	}
	targets := make([]float32, 7)
	for i := range targets {
		targets[i] = float32(i % 2)
	}
	return backend.Spec{Inputs: []*G.Node{x, t}, Loss: loss, Outputs: grads, Params: params, Grads: grads,
		Optimizer: optim.NewSGD(0.5)}, [][]float32{randoms(rng, 42), targets}, nil
}

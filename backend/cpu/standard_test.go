package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/ops"
)

// standardNets are graphs written with Gorgonia's standard ops: the
// perceptron of backendtest.PlainMLP at odd sizes with every activation it
// takes, and one with the bias broadcast from the left (G.BroadcastAdd(b,
// h, ...)) and a G.Rectify without a bias.
var standardNets = []struct {
	name  string
	build func() (*graph.Model, *graph.Objective, error)
}{
	{"PlainMLP", func() (*graph.Model, *graph.Objective, error) {
		return backendtest.PlainMLP(graph.MLPSpec{Inputs: 13, Batch: 6, Seed: 7, Layers: []graph.LayerSpec{
			{Units: 9, Activation: graph.ReLU}, {Units: 7, Activation: graph.Tanh}, {Units: 5, Activation: graph.Linear},
			{Units: 11, Activation: graph.ReLU}, {Units: 1, Activation: graph.Sigmoid}}})
	}},
	{"LeftBiasNoBiasRectify", leftBiasNet},
}

// leftBiasNet is σ(Rectify(Rectify(b1 ⊕ x·W1)·W2)·W3 ⊕ b3) with its
// binary cross-entropy, batch 5.
func leftBiasNet() (*graph.Model, *graph.Objective, error) {
	const batch, inputs = 5, 6
	g := G.NewGraph()
	rng := rand.New(rand.NewPCG(3, 4))
	param := func(name string, shape ...int) *G.Node {
		v := make([]float32, tensor.Shape(shape).TotalSize())
		for i := range v {
			v[i] = rng.Float32() - 0.5
		}
		return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))))
	}
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(batch, inputs), G.WithName("input"))
	w1, b1, w2, w3, b3 := param("w1", inputs, 8), param("b1", 8), param("w2", 8, 4), param("w3", 4, 1), param("b3", 1)
	m := &graph.Model{Graph: g, Input: x, Batch: batch}
	h := G.Must(G.Rectify(G.Must(G.BroadcastAdd(b1, G.Must(G.Mul(x, w1)), []byte{0}, nil))))
	h = G.Must(G.Rectify(G.Must(G.Mul(h, w2))))
	m.Logits = G.Must(G.BroadcastAdd(G.Must(G.Mul(h, w3)), b3, nil, []byte{0}))
	m.Output = G.Must(G.Sigmoid(m.Logits))
	m.Layers = []*graph.Layer{{Name: "l1", W: w1, B: b1}, {Name: "l2", W: w2}, {Name: "l3", W: w3, B: b3}}
	obj, err := backendtest.PlainBCE(m)
	return m, obj, err
}

// TestStandardOpsMatchTapeMachine trains graphs of Gorgonia's standard
// ops for several SGD steps on this backend (fused and not) and on
// Gorgonia's tape machine, from the same weights on the same batches, and
// compares every step's loss, then the outputs, the loss and the gradients
// after them.
func TestStandardOpsMatchTapeMachine(t *testing.T) {
	const steps, lr, tol = 4, 0.05, 1e-4
	for _, net := range standardNets {
		for _, opt := range []options{{}, {noFusion: true}} {
			t.Run(fmt.Sprintf("%s/fused=%v", net.name, !opt.noFusion), func(t *testing.T) {
				ours, tape := newStandardRun(t, net.build, opt), newStandardRun(t, net.build, opt)
				rng := rand.New(rand.NewPCG(11, 12))
				for step := range steps + 1 {
					x, y := randomInputs(rng, ours.m)
					train := step < steps
					gotLoss, got := ours.cpu(t, x, y, train)
					wantLoss, want := tape.tape(t, x, y, train, lr)
					if d := math.Abs(float64(gotLoss - wantLoss)); !(d <= tol*math.Max(1, math.Abs(float64(wantLoss)))) {
						t.Fatalf("step %d: loss %v, tape machine %v", step, gotLoss, wantLoss)
					}
					for i := range got { // none while training
						if e := maxRelErr(got[i], want[i]); !(e <= tol) {
							t.Errorf("step %d: %s differs from the tape machine's by %.3g (relative)", step, ours.names[i], e)
						}
					}
				}
			})
		}
	}
}

// standardRun is one copy of a net, trained by the CPU backend or the tape
// machine.
type standardRun struct {
	m     *graph.Model
	obj   *graph.Objective
	prog  *program
	names []string // of the values compared: the output, then the gradients
}

func newStandardRun(t *testing.T, build func() (*graph.Model, *graph.Objective, error), opt options) *standardRun {
	t.Helper()
	m, obj, err := build()
	if err != nil {
		t.Fatal(err)
	}
	r := &standardRun{m: m, obj: obj, names: []string{"output"}}
	spec := backend.TrainSpec(m, obj, optim.NewSGD(0.05))
	spec.Outputs = append([]*G.Node{m.Output}, obj.Grads...)
	if r.prog, err = compileWith(spec, opt); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.prog.Close() })
	for _, p := range obj.Params {
		r.names = append(r.names, "gradient of "+p.Name())
	}
	return r
}

// cpu trains one step on the batch (train), or evaluates the outputs and
// gradients on it.
func (r *standardRun) cpu(t *testing.T, x, y []float32, train bool) (float32, [][]float32) {
	t.Helper()
	if train {
		loss, err := r.prog.Train(x, y)
		if err != nil {
			t.Fatal(err)
		}
		return loss, nil
	}
	outs := make([][]float32, len(r.prog.spec.Outputs))
	for i, o := range r.prog.spec.Outputs {
		outs[i] = make([]float32, o.Shape().TotalSize())
	}
	loss, err := r.prog.Evaluate(outs, x, y)
	if err != nil {
		t.Fatal(err)
	}
	return loss, outs
}

// tape runs the graph on Gorgonia's tape machine and, when train, applies
// plain SGD to the parameters; otherwise it returns the output and
// gradients.
func (r *standardRun) tape(t *testing.T, x, y []float32, train bool, lr float32) (float32, [][]float32) {
	t.Helper()
	for _, in := range []struct {
		n *G.Node
		v []float32
	}{{r.m.Input, x}, {r.obj.Targets, y}} {
		if err := G.Let(in.n, tensor.New(tensor.WithShape(in.n.Shape()...), tensor.WithBacking(in.v))); err != nil {
			t.Fatal(err)
		}
	}
	vm := G.NewTapeMachine(r.m.Graph, G.BindDualValues(r.obj.Params...))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	loss := r.obj.Loss.Value().Data().(float32)
	outs := [][]float32{r.tapeOutput(t)}
	for _, p := range r.obj.Params {
		gv, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		g := gv.Data().([]float32)
		outs = append(outs, append([]float32(nil), g...))
		if train {
			w := p.Value().Data().([]float32)
			for i := range w {
				w[i] -= lr * g[i]
			}
			clear(g) // the next run adds to the gradients it finds

		}
	}
	return loss, outs
}

// tapeOutput runs the forward pass alone to the output on a tape
// machine: the whole training graph's run may reuse the output's memory
// for a later value (Gorgonia issue 576).
func (r *standardRun) tapeOutput(t *testing.T) []float32 {
	t.Helper()
	prog, locs, err := G.CompileFunction(r.m.Graph, G.Nodes{r.m.Input}, G.Nodes{r.m.Output})
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(r.m.Graph, G.WithPrecompiled(prog, locs))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), r.m.Output.Value().Data().([]float32)...)
}

func randomInputs(rng *rand.Rand, m *graph.Model) (x, y []float32) {
	x, y = make([]float32, m.Input.Shape().TotalSize()), make([]float32, m.Batch)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	for i := range y {
		y[i] = float32(rng.IntN(2))
	}
	return x, y
}

// maxRelErr is max|got−want| / max(1, max|want|); NaN where got is.
func maxRelErr(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var d, scale float64
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i]-want[i])))
		if math.IsNaN(float64(got[i])) {
			return math.NaN()
		}
		scale = math.Max(scale, math.Abs(float64(want[i])))
	}
	return d / math.Max(1, scale)
}

// TestStandardOpsPlanned checks that the plain perceptron runs on the
// project's kernels: every product a MatMulOp, every bias a BiasAddOp
// joined with its Rectify (the last layer's with its sigmoid), each
// bias's gradient summed with the gradient before it, no Repeat
// left, and each weight's gradient product folded into its SGD update.
func TestStandardOpsPlanned(t *testing.T) {
	m, obj, err := backendtest.PlainMLP(backendtest.MLP6Spec(4, 1))
	if err != nil {
		t.Fatal(err)
	}
	p, err := compile(backend.TrainSpec(m, obj, optim.NewSGD(0.01)))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	counts := map[string]int{}
	for _, s := range p.train {
		switch f := s.fused.(type) {
		case *biasRect:
			if f.bias >= 0 {
				counts["bias+rectify"]++
			}
		case *biasAct:
			counts["bias+activation"]++
		case *gradSum:
			counts["gradient+sum"]++
		case *sgdMatMul:
			counts["product+SGD"]++
		}
		if _, ok := s.op.(ops.MatMulOp); ok {
			counts["products"]++
		}
		if s.op.String() == "Repeat0" {
			counts["repeats"]++
		}
	}
	want := map[string]int{"bias+rectify": 5, "bias+activation": 1, "gradient+sum": 6, "product+SGD": 6, "products": 6 + 5 + 6}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%d %s steps, want %d", counts[k], k, n)
		}
	}
	// The loss's own Repeats (of the mean's gradient) stay Gorgonia's.
	if counts["repeats"] > 2 {
		t.Errorf("%d Repeat0 steps: the biases' repeats were planned", counts["repeats"])
	}
}

// TestRectifyEdgeValues checks the fused bias+Rectify pass, and Rectify
// alone, against Gorgonia's own ops bit for bit where they are subtle: a
// sum of exactly 0 (the mask is 1 there: x ≥ 0), −0, infinities and NaN.
func TestRectifyEdgeValues(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	xs := []float32{-1, float32(math.Copysign(0, -1)), 0, 0.5, nan, inf, -inf, -2}
	bias := []float32{0, 0, 0, 0, 0, 0, 0, 2} // the last sums to exactly 0
	for _, withBias := range []bool{true, false} {
		g := G.NewGraph()
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(1, len(xs)), G.WithName("x"))
		b := G.NewVector(g, tensor.Float32, G.WithShape(len(xs)), G.WithName("b"),
			G.WithValue(tensor.New(tensor.WithShape(len(xs)), tensor.WithBacking(bias))))
		pre := x
		if withBias {
			pre = G.Must(G.BroadcastAdd(x, b, nil, []byte{0}))
		}
		out := G.Must(G.Rectify(pre))
		p, err := compile(backend.Spec{Inputs: []*G.Node{x}, Outputs: []*G.Node{out, rectifyMask(out)}})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := p.predict[0].fused.(*biasRect); !ok || len(p.predict) != 1 {
			t.Fatalf("bias %v: Rectify planned as %d steps, the first %v, want one fused pass", withBias, len(p.predict), p.predict[0].op)
		}
		got := [][]float32{make([]float32, len(xs)), make([]float32, len(xs))}
		if err := p.Predict(got, xs); err != nil {
			t.Fatal(err)
		}
		if err := G.Let(x, tensor.New(tensor.WithShape(1, len(xs)), tensor.WithBacking(append([]float32(nil), xs...)))); err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		for k, n := range []*G.Node{out, rectifyMask(out)} {
			want := n.Value().Data().([]float32)
			for i := range want {
				if math.Float32bits(got[k][i]) != math.Float32bits(want[i]) && !(got[k][i] != got[k][i] && want[i] != want[i]) {
					t.Errorf("bias %v: %v of %v + %v is %v, Gorgonia's %v", withBias, n.Op(), xs[i], bias[i], got[k][i], want[i])
				}
			}
		}
		vm.Close()
		p.Close()
	}
}

// rectifyMask returns the mask node x ≥ 0 of G.Rectify's result out.
func rectifyMask(out *G.Node) *G.Node {
	it := out.Graph().From(out.ID())
	var in []*G.Node
	for it.Next() {
		in = append(in, it.Node().(*G.Node))
	}
	return in[1]
}

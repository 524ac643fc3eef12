package cuda

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest"
	_ "github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/backend/internal/plan"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/ops"
)

// The plan is checked without a GPU by carrying it out on the host: sim
// runs every instruction in plain Go, with the same buffer assignment and
// the same column-major BLAS calls (instr.blas) that the device
// program makes. The conformance suite then catches wrong lowering, wrong
// operand order or transposes, and buffers shared while still live. The
// program itself, with the kernels' own CUDA C built for the host, runs
// the same suite in emu_test.go; what needs a GPU, the same suite checks
// there (program_test.go).

type simBackend struct{}

func (simBackend) Name() string { return "cuda plan on the host" }
func (simBackend) Close() error { return nil }
func (simBackend) Compile(spec backend.Spec) (backend.Program, error) {
	pl, err := lower(spec)
	if err != nil {
		return nil, err
	}
	for _, in := range pl.instrs {
		if _, ok := in.args.(simulated); !ok {
			return nil, fmt.Errorf("%w: %T (node %s) has no simulation", backend.ErrUnsupported, in.args, in.node.Name())
		}
	}
	s := &sim{plan: pl, spec: spec, mem: make([][]float32, len(pl.bufs)), opt: spec.Optimizer}
	for i, b := range pl.bufs {
		s.mem[i] = make([]float32, b.Size)
		if b.Kind == plan.Const {
			copy(s.mem[i], b.value)
		}
	}
	s.ones = make([]float32, pl.ones)
	for i := range s.ones {
		s.ones[i] = 1
	}
	sizes := make([]int, len(spec.Params))
	for i, prm := range spec.Params {
		sizes[i] = prm.Shape().TotalSize()
	}
	s.state = spec.Optimizer.NewState(sizes)
	return s, s.Load()
}

// run carries out the instructions of list; train selects dropout's
// training behaviour.
func (s *sim) run(list []int, train bool) {
	s.training = train
	for _, i := range list {
		s.exec(&s.plan.instrs[i])
	}
	s.training = false
}

type sim struct {
	training bool
	plan     *lowering
	spec     backend.Spec
	mem      [][]float32
	ones     []float32
	opt      optim.Optimizer
	state    *optim.State
}

func (s *sim) feed(inputs [][]float32) error {
	if len(inputs) != len(s.plan.inputs) {
		return backend.ErrSpec
	}
	for i, b := range s.plan.inputs {
		if inputs[i] != nil {
			copy(s.mem[b], inputs[i])
		}
	}
	return nil
}

// at is the float32s of region r from element off on.
func (s *sim) at(r region, off int) []float32 { return s.mem[r.buf][r.off+off:] }

// colMajorGemm is BLAS SGEMM, column-major, as cuBLAS computes it.
func colMajorGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	at := func(i, l int) float32 {
		if transA {
			return a[l+i*lda]
		}
		return a[i+l*lda]
	}
	bt := func(l, j int) float32 {
		if transB {
			return b[j+l*ldb]
		}
		return b[l+j*ldb]
	}
	for j := range n {
		for i := range m {
			var sum float64
			for l := range k {
				sum += float64(at(i, l)) * float64(bt(l, j))
			}
			c[i+j*ldc] = float32(sum)
		}
	}
}

// simulated is instruction arguments that the simulation carries out (in
// their family's _test.go).
type simulated interface{ simulate(s *sim, in *instr) }

// blas carries out the cuBLAS calls among calls, as cuBLAS defines them.
func (s *sim) blas(calls []call) {
	for _, c := range calls {
		switch g := c.(type) {
		case gemmCall:
			for b := range g.batch {
				colMajorGemm(g.transA, g.transB, g.m, g.n, g.k, s.at(g.a, b*g.sa), g.lda, s.at(g.b, b*g.sb), g.ldb, s.at(g.c, b*g.sc), g.ldc)
			}
		case gemvCall:
			x, y := s.at(g.x, 0), s.at(g.y, 0)
			for i := range g.m {
				var sum float64
				for j := range g.n {
					sum += float64(x[i+j*g.lda]) * float64(s.ones[j])
				}
				y[i] = float32(sum)
			}
		}
	}
}

func (s *sim) exec(in *instr) { in.args.(simulated).simulate(s, in) }

func (s *sim) Train(inputs ...[]float32) (float32, error) {
	if err := s.feed(inputs); err != nil {
		return 0, err
	}
	s.run(s.plan.train, true)
	for _, u := range s.plan.updates {
		copy(s.mem[u[1]], s.mem[u[0]])
	}
	s.state.Step++
	c := s.opt.Coefficients(s.state.Step)
	if s.opt.ClipNorm > 0 {
		var sq float64
		for _, g := range s.plan.grads {
			for _, v := range s.mem[g] {
				sq += float64(v) * float64(v)
			}
		}
		c.GradScale = s.opt.ClipScale(sq)
	}
	for i, b := range s.plan.params {
		s.opt.Update(c, s.mem[b], s.mem[s.plan.grads[i]], s.state.Slots[i])
	}
	return s.mem[s.plan.loss][0], nil
}

func (s *sim) Evaluate(outputs [][]float32, inputs ...[]float32) (float32, error) {
	if err := s.feed(inputs); err != nil {
		return 0, err
	}
	s.run(s.plan.eval, false)
	s.read(outputs)
	return s.mem[s.plan.loss][0], nil
}

func (s *sim) Predict(outputs [][]float32, inputs ...[]float32) error {
	if err := s.feed(inputs); err != nil {
		return err
	}
	s.run(s.plan.predict, false)
	s.read(outputs)
	return nil
}

func (s *sim) read(outputs [][]float32) {
	for i, b := range s.plan.outputs {
		if i < len(outputs) && outputs[i] != nil {
			copy(outputs[i], s.mem[b])
		}
	}
}

func (s *sim) OptimizerState() (*optim.State, error) {
	c := &optim.State{Step: s.state.Step, Slots: make([][][]float32, len(s.state.Slots))}
	for i, slots := range s.state.Slots {
		for _, v := range slots {
			c.Slots[i] = append(c.Slots[i], append([]float32(nil), v...))
		}
	}
	return c, nil
}
func (s *sim) SetOptimizerState(st *optim.State) error {
	for i := range s.state.Slots {
		for j := range s.state.Slots[i] {
			copy(s.state.Slots[i][j], st.Slots[i][j])
		}
	}
	s.state.Step = st.Step
	return nil
}
func (s *sim) SetLearningRate(lr float64) error {
	opt := s.opt
	opt.LearningRate = lr
	if err := opt.Validate(); err != nil {
		return fmt.Errorf("%w: %w", backend.ErrSpec, err)
	}
	s.opt = opt
	return nil
}
func (s *sim) Close() error { return nil }

func (s *sim) Sync() error {
	for i, b := range s.plan.params {
		copy(s.spec.Params[i].Value().Data().([]float32), s.mem[b])
	}
	for i, u := range s.plan.updates {
		copy(s.spec.Updates[i].Buffer.Value().Data().([]float32), s.mem[u[1]])
	}
	return nil
}

func (s *sim) Load() error {
	for i, b := range s.plan.params {
		copy(s.mem[b], s.spec.Params[i].Value().Data().([]float32))
	}
	for i, u := range s.plan.updates {
		copy(s.mem[u[1]], s.spec.Updates[i].Buffer.Value().Data().([]float32))
	}
	return nil
}

func TestPlanConformance(t *testing.T) { backendtest.RunAll(t, simBackend{}) }

func mlp6Plan(t *testing.T, batch int) *lowering {
	t.Helper()
	spec, _, err := backendtest.MLP6Train(batch, 1, optim.NewSGD(0.01))
	if err != nil {
		t.Fatal(err)
	}
	pl, err := lower(spec)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

// The training step of MLP6 is 17 matrix products (6 forward, 6 weight
// gradients, 5 input gradients: none for the images), 5 fused bias+ReLU
// kernels, 6 bias gradients as matrix-vector products, and the loss.
func TestPlanMLP6(t *testing.T) {
	pl := mlp6Plan(t, 256)
	count := map[string]int{}
	for _, i := range pl.train {
		count[what(&pl.instrs[i])]++
	}
	want := map[string]int{"gemmArgs": 17, "biasActArgs": 6, "sumRowsArgs": 6, "actGradArgs": 5,
		"lossArgs": 2}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("train step has %d instructions %s, want %d (all: %v)", count[k], k, n, count)
		}
	}
	fused := 0
	for _, i := range pl.train {
		if in := pl.instrs[i]; biasAct(in.args).act.kind == actReLU {
			fused++
			if in.out2 < 0 {
				t.Errorf("%s: fused bias+ReLU does not keep x+b, which ReLU's gradient reads", in.node.Name())
			}
		}
	}
	if fused != 5 {
		t.Errorf("%d fused bias+ReLU kernels, want 5", fused)
	}
	// Prediction needs only the images and runs 6 products.
	reads := map[int]bool{}
	for _, i := range pl.predict {
		for _, b := range pl.instrs[i].in {
			reads[b] = true
		}
	}
	if !reads[pl.inputs[0]] || reads[pl.inputs[1]] {
		t.Errorf("predict reads images %v, targets %v; want the images only", reads[pl.inputs[0]], reads[pl.inputs[1]])
	}
	gemms := 0
	for _, i := range pl.predict {
		if _, ok := pl.instrs[i].args.(gemmArgs); ok {
			gemms++
		}
	}
	if gemms != 6 {
		t.Errorf("predict runs %d matrix products, want 6", gemms)
	}
	// Temporaries share buffers: fewer buffers than nodes computed.
	temps, bytes := 0, 0
	for _, b := range pl.bufs {
		if b.Kind == plan.Computed {
			temps++
			bytes += 4 * b.Size
		}
	}
	if temps >= len(pl.instrs) {
		t.Errorf("%d temporary buffers for %d instructions: no reuse", temps, len(pl.instrs))
	}
	t.Logf("%d instructions, %d temporary buffers, %.1f MB", len(pl.instrs), temps, float64(bytes)/1e6)
}

// biasAct returns a's bias_act arguments, or a linear activation's.
func biasAct(a instrArgs) biasActArgs {
	b, _ := a.(biasActArgs)
	return b
}

// what names the kind of an instruction: the type of its arguments.
func what(in *instr) string { return reflect.TypeOf(in.args).Name() }

// No buffer is written while a value in it may still be read: for every
// instruction, the buffers it reads were last written by the producers of
// its input nodes, and a matrix product never writes one of its operands.
// At batch 512 activations and weight gradients have the same size, so
// they compete for the same buffers.
func TestPlanBuffersNotClobbered(t *testing.T) {
	pl := mlp6Plan(t, 512)
	shared := 0
	for _, in := range pl.instrs {
		switch in.args.(type) {
		case gemmArgs, sumRowsArgs:
			for _, b := range in.in {
				if b == in.out {
					t.Errorf("%s writes its own operand's buffer %d", in.node.Name(), b)
				}
			}
		}
		if pl.bufs[in.out].Node != in.node {
			shared++
		}
	}
	if shared == 0 {
		t.Error("no instruction reuses a buffer: the check below proves nothing")
	}
	for _, list := range [][]int{pl.train, pl.eval, pl.predict} {
		writer := map[int]*G.Node{}
		for _, i := range list {
			in := pl.instrs[i]
			for j, b := range in.in {
				kid := children(in.node)
				if _, ok := in.args.(biasActArgs); ok && len(kid) == 1 { // fused: reads the BiasAdd's inputs
					kid = children(kid[0])
				}
				if w, ok := writer[b]; ok && w != kid[j] {
					t.Fatalf("%s reads buffer %d for %s, but %s overwrote it", in.node.Name(), b, kid[j].Name(), w.Name())
				}
			}
			writer[in.out] = in.node
			if in.out2 >= 0 {
				writer[in.out2] = children(in.node)[0]
			}
		}
	}
}

// An op the kernels do not run is ErrUnsupported naming the op, the node
// and what to use instead.
func TestPlanUnsupported(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("x"))
	w := G.NewMatrix(g, tensor.Float32, G.WithShape(3, 2), G.WithName("w"))
	y, err := G.Tensordot([]int{1}, []int{0}, x, w) // Gorgonia's own op, which no kernel runs
	if err != nil {
		t.Fatal(err)
	}
	_, err = lower(backend.Spec{Inputs: []*G.Node{x, w}, Outputs: []*G.Node{y}})
	if !errors.Is(err, backend.ErrUnsupported) || !strings.Contains(err.Error(), "Tensordot") ||
		!strings.Contains(err.Error(), y.Name()) || !strings.Contains(err.Error(), "G.Mul") {
		t.Errorf("lower = %v, want ErrUnsupported naming the op, the node and G.Mul", err)
	}
}

// A batch whose tensors outgrow the kernels' 32-bit indices is refused at
// compile time, naming the tensor and asking for a smaller batch.
func TestPlanTooLarge(t *testing.T) {
	const batch = math.MaxInt32/(100*100) + 1
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(batch, 100*100), G.WithName("input"))
	w := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 100*100), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(2, 100*100), tensor.Of(tensor.Float32))))
	y, err := ops.MatMul(x, w, false, true)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lower(backend.Spec{Inputs: []*G.Node{x}, Outputs: []*G.Node{y}})
	if !errors.Is(err, backend.ErrSpec) || !strings.Contains(err.Error(), "input") || !strings.Contains(err.Error(), "smaller batch") {
		t.Errorf("lower at batch %d = %v, want ErrSpec naming the input and asking for a smaller batch", batch, err)
	}
}

// A value read twice by its last reader (a in a·a) frees its buffer once:
// c and d, both live until c + d, must not both take it. Prediction only,
// so that no gradient reads a later.
func TestPlanValueReadTwice(t *testing.T) {
	build := func() (backend.Spec, []float32) {
		rng := rand.New(rand.NewPCG(7, 8))
		g := G.NewGraph()
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(3, 4), G.WithName("x"))
		w := param(g, "w", rng, 4, 4)
		must := func(n *G.Node, err error) *G.Node {
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		a := must(ops.ReLU(must(ops.MatMul(x, w, false, false))))
		b := must(ops.Mul(a, a))
		e := must(ops.Add(must(ops.ReLU(b)), must(ops.Tanh(b))))
		return backend.Spec{Inputs: []*G.Node{x}, Outputs: []*G.Node{e}}, randoms(rng, 12)
	}
	if e := relDiff(predictOnSim(t, build, 0)); e > 1e-6 {
		t.Errorf("c + d: relative error %.2g against the CPU", e)
	}
}

// predictOnSim runs Predict of the spec that build makes, with the input
// it returns, on the simulation and on the CPU, and returns output out of
// each.
func predictOnSim(t *testing.T, build func() (backend.Spec, []float32), out int) (sim, cpu []float32) {
	t.Helper()
	var outs [2][]float32
	for k, b := range []backend.Backend{simBackend{}, cpuBackend(t)} {
		spec, x := build()
		prog, err := b.Compile(spec)
		if err != nil {
			t.Fatal(err)
		}
		defer prog.Close()
		read := make([][]float32, len(spec.Outputs))
		outs[k] = make([]float32, spec.Outputs[out].Shape().TotalSize())
		read[out] = outs[k]
		if err := prog.Predict(read, x); err != nil {
			t.Fatal(err)
		}
	}
	return outs[0], outs[1]
}

// children returns n's inputs in order.
func children(n *G.Node) []*G.Node {
	var out []*G.Node
	it := n.Graph().From(n.ID())
	for it.Next() {
		out = append(out, it.Node().(*G.Node))
	}
	return out
}

// A bias addition that something reads before its activation does fuses
// with the activation, and the fused kernel runs before that reader.
func TestPlanBiasReadFirst(t *testing.T) {
	build := func() (backend.Spec, []float32) {
		rng := rand.New(rand.NewPCG(9, 9))
		g := G.NewGraph()
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(3, 4), G.WithName("x"))
		b := param(g, "b", rng, 4)
		must := func(n *G.Node, err error) *G.Node {
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		h := must(ops.BiasAdd(x, b))
		sq := must(ops.Mul(h, h))
		y := must(ops.Add(sq, must(ops.ReLU(h))))
		return backend.Spec{Inputs: []*G.Node{x}, Outputs: []*G.Node{sq, y}}, randoms(rng, 12)
	}
	spec, _ := build()
	l, err := lower(spec)
	if err != nil {
		t.Fatal(err)
	}
	if what(&l.instrs[0]) != "biasActArgs" {
		t.Errorf("the first instruction is %s, not the fused bias_act", what(&l.instrs[0]))
	}
	if e := relDiff(predictOnSim(t, build, 1)); e > 1e-6 {
		t.Errorf("relative error %.2g against the CPU", e)
	}
}

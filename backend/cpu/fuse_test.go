package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/blas"
	"github.com/neurone-dl/neurone/internal/cpukernels"
	"github.com/neurone-dl/neurone/ops"
)

// TestFusedMatchesUnfused checks that the fused and parallel passes give
// the very bits of the ops run one by one, for every activation that fuses,
// at a batch large enough to be split across cores (the 512-unit layers'
// passes have 3·parallelMin elements).
func TestFusedMatchesUnfused(t *testing.T) {
	const batch, inputs = 3 * parallelMin / 512, 40
	spec := graph.MLPSpec{Inputs: inputs, Batch: batch, Seed: 3, Layers: []graph.LayerSpec{
		{Units: 512, Activation: graph.ReLU}, {Units: 384, Activation: graph.LeakyReLU},
		{Units: 256, Activation: graph.Tanh}, {Units: 512, Activation: graph.Sigmoid},
		{Units: 64, Activation: graph.Linear}, {Units: 1, Activation: graph.Sigmoid}}}
	rng := rand.New(rand.NewPCG(5, 6))
	x, y := make([]float32, batch*inputs), make([]float32, batch)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	for i := range y {
		y[i] = float32(rng.IntN(2))
	}

	run := func(opt options) (float32, [][]float32, *program) {
		_, p := compileMLP(t, spec, 0.1, opt, true)
		outs := make([][]float32, len(p.spec.Outputs))
		for i, o := range p.spec.Outputs {
			outs[i] = make([]float32, o.Shape().TotalSize())
		}
		loss, err := p.Evaluate(outs, x, y)
		if err != nil {
			t.Fatal(err)
		}
		return loss, outs, p
	}
	wantLoss, want, plain := run(options{noFusion: true})
	gotLoss, got, fusedProg := run(options{})

	nFused := 0
	for _, s := range fusedProg.train {
		switch s.fused.(type) {
		case *biasAct, *gradSum:
			nFused++
		}
	}
	// Four hidden layers with an activation fuse forward and backward; the
	// linear layer has nothing to fuse, and the last layer's logits feed
	// the loss directly.
	if nFused != 8 || len(fusedProg.train) != len(plain.train)-8 {
		t.Errorf("train plan: %d fused steps, %d steps (unfused %d); want 8 fused, 8 fewer steps",
			nFused, len(fusedProg.train), len(plain.train))
	}
	if math.Float32bits(gotLoss) != math.Float32bits(wantLoss) {
		t.Errorf("loss: fused %v, unfused %v", gotLoss, wantLoss)
	}
	for i, o := range fusedProg.spec.Outputs {
		for k := range want[i] {
			if math.Float32bits(got[i][k]) != math.Float32bits(want[i][k]) {
				t.Fatalf("%s[%d]: fused %v, unfused %v", o.Name(), k, got[i][k], want[i][k])
			}
		}
	}
}

// TestTrainStepAllocations keeps the fused, parallel training step free of
// per-step allocations (with OpenBLAS; gonum's BLAS allocates itself).
func TestTrainStepAllocations(t *testing.T) {
	if blas.Kind() != blas.OpenBLAS {
		t.Skipf("%s: gonum's Sgemm allocates for its parallel blocks", blas.Name())
	}
	const batch, inputs = 64, 100
	_, p := compileMLP(t, graph.MLPSpec{Inputs: inputs, Batch: batch, Seed: 1, Layers: []graph.LayerSpec{
		{Units: 512, Activation: graph.ReLU}, {Units: 512, Activation: graph.ReLU}, {Units: 1, Activation: graph.Sigmoid}}},
		0.01, options{}, false)
	x, y := make([]float32, batch*inputs), make([]float32, batch)
	if _, err := p.Train(x, y); err != nil {
		t.Fatal(err)
	}
	checkStepAllocations(t, "MLP", p, x, y)
	if raceEnabled {
		return // the CNN's kernels take scratch buffers from a sync.Pool
	}
	for _, bn := range []bool{false, true} { // the CNN's fused steps
		const side = 30
		spec := graph.DefaultCNNSpec(side, side, 8)
		for i := range spec.Blocks {
			spec.Blocks[i].BatchNorm = bn
		}
		m, obj := backendtest.BinaryCNN(t, spec)
		p, err := compileWith(backend.TrainSpec(m, obj, optim.NewSGD(0.01)), options{})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		x, y := cnnBatch(8, side, 3)
		if _, err := p.Train(x, y); err != nil {
			t.Fatal(err)
		}
		checkStepAllocations(t, fmt.Sprintf("CNN, batch norm %t", bn), p, x, y)
	}
}

// checkStepAllocations fails t if a training step of p on x, y makes more
// than one allocation.
func checkStepAllocations(t *testing.T, what string, p *program, x, y []float32) {
	t.Helper()
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := p.Train(x, y); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("%s: %v allocations per training step, want at most 1", what, allocs)
	}
}

// TestParallelMapMatchesOps runs element-wise ops that follow no bias (so
// nothing fuses) on a tensor large enough to be split across cores.
func TestParallelMapMatchesOps(t *testing.T) {
	const rows, cols = 80, 1000
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(rows, cols), G.WithName("x"))
	h, err := ops.LeakyReLU(x, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ops.Tanh(h)
	if err != nil {
		t.Fatal(err)
	}
	spec := backend.Spec{Inputs: []*G.Node{x}, Outputs: []*G.Node{out}}
	rng := rand.New(rand.NewPCG(7, 8))
	in := make([]float32, rows*cols)
	for i := range in {
		in[i] = rng.Float32()*4 - 2
	}
	var results [2][]float32
	for i, opt := range []options{{noFusion: true}, {}} {
		p, err := compileWith(spec, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		parallel := 0
		for _, s := range p.predict {
			if _, ok := s.fused.(*parallelMap); ok {
				parallel++
			}
		}
		if want := 2 * i; parallel != want {
			t.Errorf("options %+v: %d parallel steps, want %d", opt, parallel, want)
		}
		results[i] = make([]float32, rows*cols)
		if err := p.Predict([][]float32{results[i]}, in); err != nil {
			t.Fatal(err)
		}
	}
	for k := range results[0] {
		if math.Float32bits(results[0][k]) != math.Float32bits(results[1][k]) {
			t.Fatalf("[%d]: parallel %v, op by op %v", k, results[1][k], results[0][k])
		}
	}
}

// TestSGDFoldedIntoProducts trains one step of two identical networks, one
// with every weight's SGD update folded into its gradient product, one
// with the separate update, and compares the weights.
func TestSGDFoldedIntoProducts(t *testing.T) {
	const batch, inputs = 32, 50
	x, y := make([]float32, batch*inputs), make([]float32, batch)
	rng := rand.New(rand.NewPCG(9, 10))
	for i := range x {
		x[i] = rng.Float32()
	}
	for i := range y {
		y[i] = float32(rng.IntN(2))
	}
	train := func(opt options) (*graph.Model, *program) {
		m, p := compileMLP(t, graph.MLPSpec{Inputs: inputs, Batch: batch, Seed: 11, Layers: []graph.LayerSpec{
			{Units: 40, Activation: graph.ReLU}, {Units: 30, Activation: graph.Tanh}, {Units: 1, Activation: graph.Sigmoid}}},
			0.5, opt, false)
		for range 3 {
			if _, err := p.Train(x, y); err != nil {
				t.Fatal(err)
			}
		}
		return m, p
	}
	plain, _ := train(options{noFusion: true})
	folded, p := train(options{})
	n := 0
	for _, s := range p.train {
		if _, ok := s.fused.(*sgdMatMul); ok {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d weight updates folded into products, want 3", n)
	}
	for i, prm := range plain.Params() {
		want, got := prm.Value().Data().([]float32), folded.Params()[i].Value().Data().([]float32)
		for k := range want {
			if d := math.Abs(float64(got[k] - want[k])); d > 1e-6*(1+math.Abs(float64(want[k]))) {
				t.Fatalf("%s[%d] after 3 steps: folded %v, separate %v", prm.Name(), k, got[k], want[k])
			}
		}
	}
}

// compileMLP builds the network of spec with the binary cross-entropy
// objective and compiles it for SGD training with lr; withGrads adds the
// gradients to the outputs, for Evaluate to read back.
func compileMLP(t *testing.T, spec graph.MLPSpec, lr float64, opt options, withGrads bool) (*graph.Model, *program) {
	t.Helper()
	m, obj := backendtest.BinaryMLP(t, spec)
	train := backend.TrainSpec(m, obj, optim.NewSGD(lr))
	if withGrads {
		train.Outputs = append(train.Outputs, obj.Grads...)
	}
	p, err := compileWith(train, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return m, p
}

// TestBatchNormGradsFused trains networks with batch normalisation, over
// pooled maps (its gradients joined with the pooling's, ReLU's and the
// convolution's), maps
// (its β gradient a SumChannels) and dense layers (a SumRows, which does
// not fuse), with and without fusion, and checks that the fused steps
// leave the very bits of the ops run one by one in every parameter and
// running statistic.
func TestBatchNormGradsFused(t *testing.T) {
	const batch, side = 16, 64
	cnn := graph.CNNSpec{Channels: 1, Height: side, Width: side, Batch: batch, Seed: 3,
		Blocks: []graph.ConvBlock{
			{ConvSpec: graph.ConvSpec{Filters: 4, Kernel: 3, Padding: 1, Activation: graph.ReLU}, Pool: 2, BatchNorm: true},
			{ConvSpec: graph.ConvSpec{Filters: 6, Kernel: 3, Padding: 1, Activation: graph.ReLU}, BatchNorm: true}},
		Dense: []graph.LayerSpec{{Units: 8, Activation: graph.ReLU, BatchNorm: true}, {Units: 1, Activation: graph.Sigmoid}}}
	x, y := cnnBatch(batch, side, 12)
	// In reverse order, γ's or β's gradient step comes before dx's and
	// hosts the fused step.
	for _, reversed := range []bool{false, true} {
		t.Run(fmt.Sprintf("reversed=%t", reversed), func(t *testing.T) {
			plain, _, plainGrads := trainCNN(t, cnn, x, y, options{noFusion: true}, reversed)
			fused, p, fusedGrads := trainCNN(t, cnn, x, y, options{}, reversed)
			withBeta, withoutBeta, otherHosts, maxParts, pooled := 0, 0, 0, 0, 0
			for _, s := range p.train {
				if f, ok := s.fused.(*convReLUPoolGrad); ok && f.norm >= 0 && f.dbias >= 0 {
					pooled++
				}
				f, ok := s.fused.(*bnBackward)
				if !ok {
					continue
				}
				if f.dbeta >= 0 {
					withBeta++
				} else {
					withoutBeta++
				}
				if _, isGrad := s.op.(ops.BatchNormGradOp); !isGrad {
					otherHosts++
				}
				maxParts = max(maxParts, f.prepare(p.vals, p.pool))
			}
			if withBeta != 1 || withoutBeta != 1 || pooled != 1 {
				t.Errorf("%d fused batch-norm backward steps with β's gradient, %d without, %d joined with the pooling's; want 1 (the unpooled maps), 1 (the dense layer) and 1 (the pooled maps)",
					withBeta, withoutBeta, pooled)
			}
			if reversed != (otherHosts > 0) {
				t.Errorf("%d fused steps hosted by a step other than dx's", otherHosts)
			}
			if runtime.GOMAXPROCS(0) > 1 && maxParts < 2 {
				t.Errorf("no fused batch-norm step splits across cores")
			}
			sameBits(t, plain, fused, plainGrads, fusedGrads)
		})
	}
}

// trainCNN builds the CNN of spec with the binary cross-entropy, compiles
// it with opt (its parameters in reverse order if reversed) and trains it
// two Adam steps on x, y; it returns the gradients of the first step too,
// in the order of the model's parameters.
func trainCNN(t *testing.T, spec graph.CNNSpec, x, y []float32, opt options, reversed bool) (*graph.Model, *program, [][]float32) {
	t.Helper()
	m, obj := backendtest.BinaryCNN(t, spec)
	train := backend.TrainSpec(m, obj, optim.NewAdam(0.01))
	if reversed { // the last layers' gradients planned first
		slices.Reverse(train.Params)
		slices.Reverse(train.Grads)
	}
	p, err := compileWith(train, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	var grads [][]float32
	for step := range 2 {
		if _, err := p.Train(x, y); err != nil {
			t.Fatal(err)
		}
		if step == 0 { // Adam's update hides small errors: keep the gradients
			for _, slot := range p.grads {
				grads = append(grads, slices.Clone(cpukernels.Float32s(p.vals[slot])))
			}
			if reversed {
				slices.Reverse(grads)
			}
		}
	}
	if err := p.Sync(); err != nil {
		t.Fatal(err)
	}
	return m, p, grads
}

// cnnBatch returns a batch of random images in [−1, 1) and labels.
func cnnBatch(batch, side int, seed uint64) (x, y []float32) {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	x, y = make([]float32, batch*side*side), make([]float32, batch)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	for i := range y {
		y[i] = float32(rng.IntN(2))
	}
	return x, y
}

// sameBits fails t unless the two models' parameters and buffers, and the
// gradients of their first steps, hold the same bits.
//
// gonum's matrix products round by their operands' alignment, which the
// fused convolutions' buffers in cache need not share with the unfused
// steps' slices (cpukernels.ConvReLUPoolBackward), so with gonum (where
// the project's AVX-512 kernels do not take the products) the first
// step's gradients must agree to 1e-4 of each one's largest magnitude,
// and the parameters are not compared: Adam's first steps move a
// parameter by a whole learning rate either way where its gradient is
// near zero.
func sameBits(t *testing.T, want, got *graph.Model, wantGrads, gotGrads [][]float32) {
	t.Helper()
	if blas.Kind() == blas.Gonum {
		for i, w := range wantGrads {
			var scale float64
			for _, v := range w {
				scale = max(scale, math.Abs(float64(v)))
			}
			for k := range w {
				if d := math.Abs(float64(gotGrads[i][k]) - float64(w[k])); !(d <= 1e-4*scale) {
					t.Fatalf("gradient of %s[%d] in the first step: fused %v, unfused %v (gonum's products)", want.Params()[i].Name(), k, gotGrads[i][k], w[k])
				}
			}
		}
		return
	}
	for i, w := range wantGrads {
		for k := range w {
			if math.Float32bits(gotGrads[i][k]) != math.Float32bits(w[k]) {
				t.Fatalf("gradient of %s[%d] in the first step: fused %v, unfused %v", want.Params()[i].Name(), k, gotGrads[i][k], w[k])
			}
		}
	}
	w, g := append(want.Params(), want.Buffers()...), append(got.Params(), got.Buffers()...)
	for i, prm := range w {
		wv, gv := prm.Value().Data().([]float32), g[i].Value().Data().([]float32)
		for k := range wv {
			if math.Float32bits(gv[k]) != math.Float32bits(wv[k]) {
				t.Fatalf("%s[%d] after 2 steps: fused %v, unfused %v", prm.Name(), k, gv[k], wv[k])
			}
		}
	}
}

// TestChannelFusionsMatchUnfused trains a CNN whose convolutions add a bias
// per channel before their activation, with and without fusion: the fused
// bias+activation and activation-gradient+channel-sum passes leave the
// very bits of the ops run one by one, and predict the same.
func TestChannelFusionsMatchUnfused(t *testing.T) {
	const batch, side = 16, 64
	spec := graph.CNNSpec{Channels: 1, Height: side, Width: side, Batch: batch, Seed: 5,
		Blocks: []graph.ConvBlock{
			{ConvSpec: graph.ConvSpec{Filters: 4, Kernel: 3, Padding: 1, Activation: graph.ReLU}, Pool: 2},
			{ConvSpec: graph.ConvSpec{Filters: 6, Kernel: 3, Padding: 1, Activation: graph.Tanh}, Pool: 2},
			{ConvSpec: graph.ConvSpec{Filters: 5, Kernel: 3, Padding: 1, Activation: graph.LeakyReLU}, Pool: 2}},
		Dense: []graph.LayerSpec{{Units: 1, Activation: graph.Sigmoid}}}
	x, y := cnnBatch(batch, side, 14)
	plain, plainProg, plainGrads := trainCNN(t, spec, x, y, options{noFusion: true}, false)
	fused, p, fusedGrads := trainCNN(t, spec, x, y, options{}, false)
	forward, backward, pooled, pooledGrads := 0, 0, 0, 0
	for _, s := range p.train {
		switch f := s.fused.(type) {
		case *chanBiasAct:
			forward++
		case *chanGradSum:
			backward++
		case *convReLUPool:
			pooled++
		case *convReLUPoolGrad:
			if f.dbias >= 0 && f.dx < 0 { // the first block: no gradient of the images
				pooledGrads++
			}
		}
	}
	// The ReLU block, the first, fuses with its convolution and pooling
	// (relupool.go), and backward with its bias's and filters' gradients
	// (the images need none); the other two blocks fuse bias and
	// activation, and the activation's gradient and the bias's.
	if forward != 2 || backward != 2 || pooled != 1 || pooledGrads != 1 {
		t.Errorf("%d fused bias+activation steps, %d activation-gradient+sum steps, %d bias+ReLU+pooling, %d of their gradients with the bias's; want 2, 2, 1, 1",
			forward, backward, pooled, pooledGrads)
	}
	sameBits(t, plain, fused, plainGrads, fusedGrads)
	samePredictions(t, plainProg, p, x, batch)
}

// TestReLUPoolFused trains the default CNN, at a side whose pooled maps
// have odd sides (a last row and column in no window), plain and with
// batch normalisation, with and without fusion: every block runs its
// convolution, affine map, ReLU and pooling as one step (but for batch
// normalisation, whose statistics come between, with the convolution) and
// their gradients as another (relupool.go), leaving the bits of the ops
// run one by one, and predicts the same. Without the convolutions, the blocks' fusions leave
// the same bits too.
func TestReLUPoolFused(t *testing.T) {
	const batch, side = 8, 30 // maps of 15, 7 and 3
	for _, bn := range []bool{false, true} {
		for _, conv := range []bool{true, false} {
			t.Run(fmt.Sprintf("batchnorm=%t/convolutions=%t", bn, conv), func(t *testing.T) {
				spec := graph.DefaultCNNSpec(side, side, batch)
				for i := range spec.Blocks {
					spec.Blocks[i].BatchNorm = bn
				}
				x, y := cnnBatch(batch, side, 21)
				plain, plainProg, plainGrads := trainCNN(t, spec, x, y, options{noFusion: true}, false)
				fused, p, fusedGrads := trainCNN(t, spec, x, y, options{noConvFusion: !conv}, false)
				forward, backward, stats := 0, 0, 0
				for _, s := range p.train {
					switch f := s.fused.(type) {
					case *convStats:
						stats++
					case *convReLUPool:
						forward++
					case *reluPool:
						if bn || !conv {
							forward++
						}
					case *convReLUPoolGrad: // conv1 has no input gradient
						if (f.norm >= 0) == bn && f.dbias >= 0 && (f.dx >= 0) == (f.x != p.inputs[0]) {
							backward++
						}
					case *reluPoolNormGrad:
						if bn && !conv && f.dbeta >= 0 {
							backward++
						}
					case *reluPoolGrad:
						if !bn && !conv && f.dbias >= 0 {
							backward++
						}
					}
				}
				n, wantStats := len(spec.Blocks), 0
				if bn && conv {
					wantStats = n
				}
				if forward != n || backward != n || stats != wantStats {
					t.Errorf("%d fused forward steps of the blocks, %d of their gradients, %d convolutions with their batch statistics; want %d, %d and %d",
						forward, backward, stats, n, n, wantStats)
				}
				sameBits(t, plain, fused, plainGrads, fusedGrads)
				samePredictions(t, plainProg, p, x, batch)
			})
		}
	}
}

// samePredictions fails t unless two programs predict the same bits for x.
// With gonum's products it checks nothing: the two programs' parameters
// need not be close (sameBits says why).
func samePredictions(t *testing.T, plain, fused *program, x []float32, batch int) {
	t.Helper()
	if blas.Kind() == blas.Gonum {
		return
	}
	want, got := make([]float32, batch), make([]float32, batch)
	if err := plain.Predict([][]float32{want}, x, nil); err != nil {
		t.Fatal(err)
	}
	if err := fused.Predict([][]float32{got}, x, nil); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("prediction %d: fused %v, unfused %v", i, got[i], want[i])
		}
	}
}

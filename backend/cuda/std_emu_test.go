//go:build cgo

package cuda

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// Each standard op, forward and backward, runs on the host build of the
// kernels as on the CPU backend.
func TestHostedStdOps(t *testing.T) { compareStdOps(t, cpuBackend(t), hostBackend(t), 2e-5) }

// The gradients the kernels compute for each standard op agree with
// central differences of the loss they compute, at a few elements of
// each parameter: a check of Gorgonia's backward graphs as lowered, not
// only of the lowering against the CPU.
func TestHostedStdOpsGradCheck(t *testing.T) {
	emu := hostBackend(t)
	const h, tol = 1e-2, 2e-2
	for _, c := range stdCases {
		if forwardOnly[c.name] {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			spec, err := c.build()
			if err != nil {
				t.Fatal(err)
			}
			spec.Outputs = spec.Grads
			prog, err := emu.Compile(spec)
			if err != nil {
				t.Fatal(err)
			}
			defer prog.Close()
			grads := make([][]float32, len(spec.Grads))
			for i, g := range spec.Grads {
				grads[i] = make([]float32, g.Shape().TotalSize())
			}
			if _, err := prog.Evaluate(grads); err != nil {
				t.Fatal(err)
			}
			lossAt := func() float64 {
				if err := prog.Load(); err != nil {
					t.Fatal(err)
				}
				l, err := prog.Evaluate(nil)
				if err != nil {
					t.Fatal(err)
				}
				return float64(l)
			}
			for i, p := range spec.Params {
				data := cpukernels.Float32s(p.Value())
				for _, j := range sampleIndices(len(data)) {
					v := data[j]
					data[j] = v + h
					up := lossAt()
					data[j] = v - h
					down := lossAt()
					data[j] = v
					fd, got := (up-down)/(2*h), float64(grads[i][j])
					if math.Abs(fd-got) > tol*math.Max(1, math.Abs(fd)) {
						t.Errorf("%s[%d]: gradient %.5g, central difference %.5g", p.Name(), j, got, fd)
					}
				}
			}
		})
	}
}

// sampleIndices returns up to 5 indices spread over n elements, the first
// and the last among them.
func sampleIndices(n int) []int {
	if n <= 5 {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	return []int{0, n / 4, n / 2, 3 * n / 4, n - 1}
}

// The same on a GPU, where there is one (gpu skips the test otherwise):
// cuBLAS's products and the kernels as NVRTC compiles them.
func TestStdOpsAgainstCPU(t *testing.T) { compareStdOps(t, cpuBackend(t), gpu(t), 1e-5) }

// backendtest.PlainMLP, MLP6 written with Gorgonia's standard ops, at
// odd sizes with every activation it takes, trains on the host build of
// the kernels as on the CPU: the losses of 3 steps (the third a replay of
// the captured step) and the parameters after them.
func TestHostedPlainMLPAgainstCPU(t *testing.T) {
	var losses, params [2][]float32
	for k, be := range []backend.Backend{cpuBackend(t), hostBackend(t)} {
		m, obj, err := backendtest.PlainMLP(graph.MLPSpec{Inputs: 13, Batch: 6, Seed: 7, Layers: []graph.LayerSpec{
			{Units: 9, Activation: graph.ReLU}, {Units: 7, Activation: graph.Tanh}, {Units: 5, Activation: graph.Linear},
			{Units: 11, Activation: graph.ReLU}, {Units: 1, Activation: graph.Sigmoid}}})
		if err != nil {
			t.Fatal(err)
		}
		prog, err := be.Compile(backend.TrainSpec(m, obj, optim.NewSGD(0.5)))
		if err != nil {
			t.Fatal(err)
		}
		defer prog.Close()
		rng := rand.New(rand.NewPCG(5, 6))
		x, y := randoms(rng, 6*13), []float32{1, 0, 1, 1, 0, 0}
		for range 3 {
			l, err := prog.Train(x, y)
			if err != nil {
				t.Fatal(err)
			}
			losses[k] = append(losses[k], l)
		}
		if err := prog.Sync(); err != nil {
			t.Fatal(err)
		}
		for _, p := range obj.Params {
			params[k] = append(params[k], cpukernels.Float32s(p.Value())...)
		}
	}
	if losses[0][2] >= losses[0][0] {
		t.Errorf("reference losses %v do not fall: the comparison proves little", losses[0])
	}
	if e := relDiff(losses[1], losses[0]); e > 1e-5 {
		t.Errorf("losses %v, reference %v", losses[1], losses[0])
	}
	if e := relDiff(params[1], params[0]); e > 1e-5 {
		t.Errorf("parameters after 3 steps: relative error %.2g", e)
	}
}

//go:build cgo

package cuda

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/ops"
)

// On a machine without a usable GPU, "cuda" is an ErrUnavailable that says
// what is missing and "auto" falls back to the CPU with that note; with
// one, both open the GPU.
func TestOpen(t *testing.T) {
	b, err := backend.Open("cuda")
	if err != nil {
		if !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), "cuda:0") {
			t.Fatalf("Open(cuda) = %v, want ErrUnavailable naming cuda:0", err)
		}
		known := []string{"no NVIDIA driver", "no usable GPU", "no such device", "libraries are incomplete"}
		ok := false
		for _, k := range known {
			ok = ok || strings.Contains(err.Error(), k)
		}
		if !ok {
			t.Errorf("Open(cuda) = %v: does not say what is missing", err)
		}
		a, aerr := backend.Open("auto")
		if aerr != nil {
			t.Fatal(aerr)
		}
		defer a.Close()
		if !strings.HasPrefix(a.Name(), "cpu") || !strings.Contains(backend.Note(a), "cuda:0") {
			t.Errorf("auto opened %q with note %q, want the CPU and a note about CUDA", a.Name(), backend.Note(a))
		}
		t.Logf("no GPU here: %v", err)
		return
	}
	defer b.Close()
	if !strings.HasPrefix(b.Name(), "cuda:0 (") {
		t.Errorf("Name() = %q", b.Name())
	}
	if _, err := backend.Open("cuda:99"); !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), "no CUDA device 99") {
		t.Errorf("Open(cuda:99) = %v, want ErrUnavailable saying there is no device 99", err)
	}
	t.Logf("opened %s", b.Name())
}

// gpu opens the first GPU or skips the test.
func gpu(t *testing.T) *Backend {
	t.Helper()
	b, err := backend.Open("cuda")
	if err != nil {
		t.Skipf("no GPU: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b.(*Backend)
}

func TestConformance(t *testing.T) { backendtest.RunAll(t, gpu(t)) }

// Every op, forward and backward, against the CPU in float32: 1e-5.
func TestOpsAgainstCPU(t *testing.T) { compareOps(t, cpuBackend(t), gpu(t), 1e-5) }

// mlp6 builds the benchmark perceptron with a training spec.
func mlp6(t *testing.T, batch int, opt graph.Optimizer) backend.Spec {
	t.Helper()
	spec, _, err := backendtest.MLP6Train(batch, 7, opt)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// One whole MLP6 training step (Adam), then 50 steps on random batches:
// the loss and every updated weight follow the CPU's.
func TestMLP6AgainstCPU(t *testing.T) {
	g := gpu(t)
	c := cpuBackend(t)
	const steps, batch = 50, 32
	xs, ys := randomBatches(steps, batch)
	var losses [2][]float32
	var weights [2][][]float32
	for k, b := range []backend.Backend{c, g} {
		spec := mlp6(t, batch, graph.NewAdam(1e-4))
		prog, err := b.Compile(spec)
		if err != nil {
			t.Fatal(err)
		}
		defer prog.Close()
		for i := range steps {
			l, err := prog.Train(xs[i], ys[i])
			if err != nil {
				t.Fatal(err)
			}
			losses[k] = append(losses[k], l)
			if i == 0 {
				if err := prog.Sync(); err != nil {
					t.Fatal(err)
				}
				for _, p := range spec.Params {
					weights[k] = append(weights[k], append([]float32(nil), ops.Float32s(p.Value())...))
				}
			}
		}
	}
	worst := 0.0
	for i := range weights[0] {
		e := relDiff(weights[1][i], weights[0][i])
		worst = math.Max(worst, e)
		if e > 1e-4 {
			t.Errorf("parameter %d after one step: relative error %.2g", i, e)
		}
	}
	t.Logf("largest relative parameter error after one step: %.2g", worst)
	worst = 0
	for i := range losses[0] {
		d := math.Abs(float64(losses[1][i] - losses[0][i]))
		worst = math.Max(worst, d)
		if d > 1e-3*max(1, math.Abs(float64(losses[0][i]))) {
			t.Errorf("step %d: loss %v on the GPU, %v on the CPU", i, losses[1][i], losses[0][i])
		}
	}
	t.Logf("loss %.4f -> %.4f on the CPU, %.4f -> %.4f on the GPU; largest difference %.2g",
		losses[0][0], losses[0][steps-1], losses[1][0], losses[1][steps-1], worst)
}

// Replaying the captured step computes what eager steps compute.
func TestGraphReplayMatchesEager(t *testing.T) {
	xs, ys := randomBatches(6, 16)
	checkGraphReplay(t, gpu(t), xs, ys, 1e-6)
}

// checkGraphReplay trains MLP6 on the batches with graphs off, then on,
// and checks that a graph was captured, replayed from the second step on,
// and that the losses agree within tol.
func checkGraphReplay(t *testing.T, b *Backend, xs, ys [][]float32, tol float64) {
	var losses [2][]float32
	for k, graphs := range []string{"0", "1"} {
		t.Setenv("NEURONE_CUDA_GRAPHS", graphs)
		prog, err := b.Compile(mlp6(t, len(ys[0]), graph.NewMomentum(0.01, 0.9)))
		if err != nil {
			t.Fatal(err)
		}
		for i := range xs {
			l, err := prog.Train(xs[i], ys[i])
			if err != nil {
				t.Fatal(err)
			}
			losses[k] = append(losses[k], l)
		}
		if p := prog.(*program); (p.graph != nil) != (graphs == "1") {
			t.Errorf("NEURONE_CUDA_GRAPHS=%s: captured graph %v (%v)", graphs, p.graph != nil, p.graphErr)
		} else if h, ok := p.dev.(*hostDevice); ok && h.replays != len(xs)-1 && graphs == "1" {
			t.Errorf("replayed %d times, want %d", h.replays, len(xs)-1)
		}
		if err := prog.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	for i := range losses[0] {
		if d := math.Abs(float64(losses[1][i] - losses[0][i])); !(d <= tol) { // NaN fails too
			t.Errorf("step %d: loss %v replayed, %v eager", i, losses[1][i], losses[0][i])
		}
	}
}

// TF32 runs and stays close to float32.
func TestTF32(t *testing.T) {
	g := gpu(t)
	xs, ys := randomBatches(1, 64)
	var losses [2]float32
	for k, tf32 := range []bool{false, true} {
		spec := mlp6(t, 64, graph.NewSGD(0.01))
		spec.AllowTF32 = tf32
		prog, err := g.Compile(spec)
		if err != nil {
			t.Fatal(err)
		}
		defer prog.Close()
		if losses[k], err = prog.Evaluate(nil, xs[0], ys[0]); err != nil {
			t.Fatal(err)
		}
	}
	if d := math.Abs(float64(losses[1] - losses[0])); d > 1e-2*math.Abs(float64(losses[0])) {
		t.Errorf("loss %v with TF32, %v without", losses[1], losses[0])
	}
	t.Logf("loss fp32 %v, tf32 %v", losses[0], losses[1])
}

// A program too big for the device is an error that suggests a smaller
// batch, and leaves the backend usable.
func TestOutOfMemory(t *testing.T) {
	g := gpu(t)
	_, total, err := g.MemInfo()
	if err != nil {
		t.Fatal(err)
	}
	batch := int(total/(4*10000)) + 1 // the images alone exceed the device
	spec := mlp6(t, batch, graph.NewSGD(0.01))
	if _, err := g.Compile(spec); err == nil || !strings.Contains(err.Error(), "smaller batch") {
		t.Fatalf("Compile at batch %d = %v, want an out-of-memory error suggesting a smaller batch", batch, err)
	}
	spec = mlp6(t, 8, graph.NewSGD(0.01))
	prog, err := g.Compile(spec)
	if err != nil {
		t.Fatalf("after running out of memory: %v", err)
	}
	prog.Close()
}

// Opening, training and closing 100 times leaks no device memory.
func TestLifetimes(t *testing.T) {
	hold := gpu(t) // keeps the primary context alive between rounds
	free := func() uint64 {
		f, _, err := hold.MemInfo()
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	xs, ys := randomBatches(1, 8)
	round := func() {
		b, err := backend.Open("cuda")
		if err != nil {
			t.Fatal(err)
		}
		spec := mlp6(t, 8, graph.NewAdam(1e-3))
		prog, err := b.Compile(spec)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := prog.Train(xs[0], ys[0]); err != nil {
				t.Fatal(err)
			}
		}
		if err := prog.Close(); err != nil {
			t.Fatal(err)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
	round() // the first round may set up lasting driver and cuBLAS state
	before := free()
	for range 100 {
		round()
	}
	after := free()
	if after+(8<<20) < before {
		t.Errorf("device free memory went from %d to %d MB over 100 rounds", before>>20, after>>20)
	}
	t.Logf("free device memory %d MB before, %d MB after 100 rounds", before>>20, after>>20)
}

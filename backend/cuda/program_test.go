//go:build cgo

package cuda

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/cpukernels"
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
	// Which libraries run, and how the kernels were built, for the log.
	v := b.(*Backend).Versions()
	for _, want := range []string{"driver ", "cuBLAS ", "NVRTC ", "kernels: "} {
		if !strings.Contains(v, want) || strings.Contains(v, "not loaded") || strings.Contains(v, "unknown") {
			t.Errorf("Versions() = %q, want each library's version and the kernels' build", v)
			break
		}
	}
	t.Logf("opened %s: %s", b.Name(), v)
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
func mlp6(t *testing.T, batch int, opt optim.Optimizer) backend.Spec {
	t.Helper()
	spec, _, err := backendtest.MLP6Train(batch, 7, opt)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// One whole MLP6 training step (Adam), then 50 steps on random
// batches: the gradients, the weights after one step and the
// losses follow the CPU's (see checkMLP6AgainstCPU).
func TestMLP6AgainstCPU(t *testing.T) {
	g := gpu(t)
	xs, ys := randomBatches(50, 32)
	checkMLP6AgainstCPU(t, g, xs, ys)
}

// gradTol bounds the relative difference of two backends' gradients (to
// the largest of each tensor): float32 sums in another order, cuBLAS's
// against the CPU BLAS's, differ by far less.
const gradTol = 1e-4

// checkMLP6AgainstCPU trains MLP6 with Adam (lr 1e-4) on b and on the CPU
// from the same weights on the same batches, and checks
//
//   - the gradients of the first batch, at the initial weights, within
//     gradTol of the CPU's;
//   - every weight after one step within adamStepBound of the CPU's: as
//     far as Adam's step can carry the gradients' differences, which is
//     up to 2·lr for a gradient within those differences of 0 (where the
//     step may go either way) and a few ulps elsewhere;
//   - the loss of every step within 1e-3 of the CPU's, relative.
//
// The gradients' differences are taken per tensor, twice the largest
// measured plus an ulp of the largest gradient. That relies on each
// backend's training step computing the gradients its Evaluate computes,
// as it does, with the same instructions; a step that did not would show
// as weights out of bounds.
func checkMLP6AgainstCPU(t *testing.T, b backend.Backend, xs, ys [][]float32) {
	t.Helper()
	opt := optim.NewAdam(1e-4)
	batch := len(ys[0])
	var losses [2][]float32
	var grads, weights [2][][]float32
	var initial [][]float32
	for k, be := range []backend.Backend{cpuBackend(t), b} {
		spec := mlp6(t, batch, opt)
		spec.Outputs = spec.Grads // Evaluate reads the gradients back
		if k == 0 {
			for _, p := range spec.Params {
				initial = append(initial, slices.Clone(cpukernels.Float32s(p.Value())))
			}
		}
		prog, err := be.Compile(spec)
		if err != nil {
			t.Fatal(err)
		}
		defer prog.Close()
		for _, g := range spec.Grads {
			grads[k] = append(grads[k], make([]float32, g.Shape().TotalSize()))
		}
		if _, err := prog.Evaluate(grads[k], xs[0], ys[0]); err != nil {
			t.Fatal(err)
		}
		for i := range xs {
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
					weights[k] = append(weights[k], slices.Clone(cpukernels.Float32s(p.Value())))
				}
			}
		}
	}
	c := opt.Coefficients(1)
	for i := range grads[0] {
		e := relDiff(grads[1][i], grads[0][i])
		if e > gradTol {
			t.Errorf("gradient %d at the initial weights: relative error %.2g", i, e)
			continue
		}
		scale, diff := 0.0, 0.0
		for j, g := range grads[0][i] {
			scale = math.Max(scale, math.Abs(float64(g)))
			diff = math.Max(diff, math.Abs(float64(grads[1][i][j])-float64(g)))
		}
		maxDiff := 2*diff + 0x1p-23*scale
		worst, zero, unsure, bad := 0.0, 0, 0, 0
		for j, p := range initial[i] {
			g := float64(grads[0][i][j])
			bound := adamStepBound(c, float64(p), g, maxDiff)
			d := math.Abs(float64(weights[1][i][j]) - float64(weights[0][i][j]))
			if !(d <= bound) { // NaN fails too
				if bad++; bad <= 3 {
					t.Errorf("parameter %d[%d] after one step: %v, on the CPU %v (from %v, gradient %v): %.2g apart, bound %.2g",
						i, j, weights[1][i][j], weights[0][i][j], p, g, d, bound)
				}
			}
			worst = math.Max(worst, d/bound)
			switch {
			case g == 0:
				zero++
			case math.Abs(g) <= maxDiff:
				unsure++
			}
		}
		if bad > 3 {
			t.Errorf("parameter %d: %d weights out of bounds in all", i, bad)
		}
		t.Logf("parameter %d: gradient error %.2g; after one step, weights within %.2g of their bound; of %d gradients, %d are 0 and %d within %.2g of 0, where Adam's step may go either way",
			i, e, worst, len(initial[i]), zero, unsure, maxDiff)
	}
	worst := 0.0
	for i := range losses[0] {
		d := math.Abs(float64(losses[1][i] - losses[0][i]))
		worst = math.Max(worst, d)
		if !(d <= 1e-3*max(1, math.Abs(float64(losses[0][i])))) {
			t.Errorf("step %d: loss %v on %s, %v on the CPU", i, losses[1][i], b.Name(), losses[0][i])
		}
	}
	last := len(losses[0]) - 1
	t.Logf("loss %.4f -> %.4f on the CPU, %.4f -> %.4f on %s; largest difference %.2g",
		losses[0][0], losses[0][last], losses[1][0], losses[1][last], b.Name(), worst)
}

// adamStepBound bounds how far apart Adam's first step (coefficients c)
// can take weight p on two backends whose gradients for it differ by at
// most e, the first backend's being g.
//
// The first step moves p by −lr·f(g), where f(g) = m̂/(√v̂ + ε) with
// m̂ = (1−β1)·g·c1 and v̂ = (1−β2)·g²·c2 (c1, c2 the bias corrections):
// f(g) ≈ g/(|g| + ε), about ±1. So where |g| ≤ e the backends may step in
// opposite directions, up to 2·lr apart, while where |g| ≫ e f is flat
// and the steps agree closely. f increases, so the difference is at most
// lr·max(f(g+e) − f(g), f(g) − f(g−e)); the bound adds float32 rounding,
// of the step (a few ulps of lr) and of the new weight (an ulp of |p|).
func adamStepBound(c optim.Coefficients, p, g, e float64) float64 {
	b1 := float64(float32(1) - c.Beta1) // as the float32 kernels compute them
	b2 := float64(float32(1) - c.Beta2)
	f := func(x float64) float64 {
		return b1 * x * float64(c.Bias1) / (math.Sqrt(b2*x*x*float64(c.Bias2)) + float64(c.Eps))
	}
	const ulp = 0x1p-23 // float32's, relative
	lr := float64(c.LR)
	return lr*math.Max(f(g+e)-f(g), f(g)-f(g-e)) + 8*lr*ulp + 2*math.Abs(p)*ulp
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
		prog, err := b.Compile(mlp6(t, len(ys[0]), optim.NewMomentum(0.01, 0.9)))
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
		p := prog.(*program)
		if graphs == "1" && p.graph == nil && errors.Is(p.graphErr, backend.ErrUnsupported) {
			prog.Close()
			t.Skipf("this device layer cannot capture a graph: %v", p.graphErr)
		}
		if (p.graph != nil) != (graphs == "1") {
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
		spec := mlp6(t, 64, optim.NewSGD(0.01))
		spec.AllowTF32 = tf32
		prog, err := g.Compile(spec)
		if tf32 && errors.Is(err, backend.ErrUnsupported) {
			t.Skipf("this device layer has no TF32: %v", err)
		}
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
	spec := mlp6(t, batch, optim.NewSGD(0.01))
	if _, err := g.Compile(spec); err == nil || !strings.Contains(err.Error(), "smaller batch") {
		t.Fatalf("Compile at batch %d = %v, want an out-of-memory error suggesting a smaller batch", batch, err)
	}
	spec = mlp6(t, 8, optim.NewSGD(0.01))
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
		spec := mlp6(t, 8, optim.NewAdam(1e-3))
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

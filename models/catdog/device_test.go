package catdog_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/cpu"
	_ "github.com/neurone-dl/neurone/backend/cuda" // registers "cuda" and "cuda-emu"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
)

// The cat/dog training loop of catdog-train, on the GPU and on the CPU: a
// small perceptron over the built-in synthetic images (too small to learn
// them well in 4 epochs, but its loss falls) follows the CPU's loss epoch
// by epoch, reaches the same test accuracy, and a checkpoint it saves
// predicts the same on the CPU. The GPU's products add in another order:
// over 160 steps the losses may part by 1e-2. It lives here, not in
// backend/cuda, as backend tests do not import the models; the GPU run
// (bench/gpu-run.sh) runs it from this package's test binary.
func TestCatdogAgainstCPU(t *testing.T) { catdogAgainstCPU(t, openOrSkip(t, "cuda"), 1e-2) }

// The same on cuda-emu, the CUDA program on the host, whose sums follow
// the CPU's closely (1e-5), wherever a C++ compiler is: in CI (CI=true),
// which installs one, a missing compiler fails the test.
func TestHostedCatdogAgainstCPU(t *testing.T) {
	b, err := backend.Open("cuda-emu")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skipf("no cuda-emu: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	catdogAgainstCPU(t, b, 1e-5)
}

// openOrSkip opens the backend name, closed when the test ends, or skips
// the test saying why it could not.
func openOrSkip(t *testing.T, name string) backend.Backend {
	t.Helper()
	b, err := backend.Open(name)
	if err != nil {
		t.Skipf("no %s: %v", name, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// catdogAgainstCPU trains on b and on the CPU; each epoch's mean loss must
// agree within lossTol, relative.
func catdogAgainstCPU(t *testing.T, b backend.Backend, lossTol float64) {
	cfg := catdog.DefaultConfig()
	cfg.Hidden = []int{32, 16}
	const batch, epochs = 16, 4
	train, test := synthetic.Generate(640, 3, cfg.Side), synthetic.Generate(96, 4, cfg.Side)
	opt := optim.NewAdam(1e-3)
	// A rate that falls every epoch, so that both backends must follow it.
	rate := optim.NewRate(opt, optim.Schedule{Kind: optim.ScheduleStep, StepEvery: 1, Gamma: 0.75})

	type result struct {
		losses []float64
		acc    float64
		probs  []float32
		net    *catdog.Network
	}
	run := func(b backend.Backend) result {
		net, err := catdog.NewNetwork(cfg, batch, b, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { net.Close() })
		net.Rate = rate
		var r result
		for epoch := 1; epoch <= epochs; epoch++ {
			st, err := net.TrainEpoch(context.Background(), train, 1, epoch, nil)
			if err != nil {
				t.Fatal(err)
			}
			r.losses = append(r.losses, st.Loss)
		}
		m, err := net.Evaluate(test)
		if err != nil {
			t.Fatal(err)
		}
		if r.probs, err = net.Probabilities(test); err != nil {
			t.Fatal(err)
		}
		r.acc, r.net = m.Accuracy, net
		return r
	}
	ref, dev := run(cpu.New()), run(b)
	for i := range ref.losses {
		if e := math.Abs(dev.losses[i]-ref.losses[i]) / ref.losses[i]; !(e <= lossTol) {
			t.Errorf("epoch %d: mean loss %.6f, the CPU's %.6f", i+1, dev.losses[i], ref.losses[i])
		}
	}
	if !(math.Abs(dev.acc-ref.acc) <= 0.01) {
		t.Errorf("test accuracy %.3f, the CPU's %.3f, want them within 1%%", dev.acc, ref.acc)
	}
	if !(ref.losses[epochs-1] < ref.losses[0]) {
		t.Errorf("the loss did not fall (%v): the comparison would not show that training works", ref.losses)
	}
	t.Logf("losses %v (CPU %v), test accuracy %.3f (CPU %.3f)", dev.losses, ref.losses, dev.acc, ref.acc)

	// The device's checkpoint, loaded on the CPU, gives its predictions.
	path := filepath.Join(t.TempDir(), "last.safetensors")
	if err := dev.net.Save(path, catdog.Meta{Optimizer: opt}); err != nil {
		t.Fatal(err)
	}
	meta, ts, err := catdog.ReadMeta(path)
	if err != nil {
		t.Fatal(err)
	}
	onCPU, err := catdog.NewNetwork(cfg, batch, cpu.New(), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer onCPU.Close()
	if err := onCPU.Load(meta, ts, true); err != nil {
		t.Fatal(err)
	}
	probs, err := onCPU.Probabilities(test)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range probs {
		if !(math.Abs(float64(p-dev.probs[i])) <= 1e-5) {
			t.Fatalf("image %d: P(cat) %v on the CPU from the checkpoint, %v where it was trained", i, p, dev.probs[i])
		}
	}
}

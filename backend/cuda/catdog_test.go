package cuda

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
)

// The cat/dog training loop of catdog-train, on the CUDA program over the
// host stand-in and on the CPU: a small perceptron over the built-in
// synthetic images (too small to learn them well in 4 epochs, but its loss
// falls) follows the CPU's loss epoch by epoch, reaches the same test
// accuracy, and a checkpoint it saves predicts the same on the CPU.
func TestHostedCatdogAgainstCPU(t *testing.T) { catdogAgainstCPU(t, hostBackend(t), 1e-5) }

// The same on the GPU, whose products add in another order: over 160
// steps the losses may part by more.
func TestCatdogAgainstCPU(t *testing.T) { catdogAgainstCPU(t, gpu(t), 1e-2) }

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
	cpu, gpu := run(cpuBackend(t)), run(b)
	for i := range cpu.losses {
		if e := math.Abs(gpu.losses[i]-cpu.losses[i]) / cpu.losses[i]; !(e <= lossTol) {
			t.Errorf("epoch %d: mean loss %.6f, the CPU's %.6f", i+1, gpu.losses[i], cpu.losses[i])
		}
	}
	if !(math.Abs(gpu.acc-cpu.acc) <= 0.01) {
		t.Errorf("test accuracy %.3f, the CPU's %.3f, want them within 1%%", gpu.acc, cpu.acc)
	}
	if !(cpu.losses[epochs-1] < cpu.losses[0]) {
		t.Errorf("the loss did not fall (%v): the comparison would not show that training works", cpu.losses)
	}
	t.Logf("losses %v (CPU %v), test accuracy %.3f (CPU %.3f)", gpu.losses, cpu.losses, gpu.acc, cpu.acc)

	// The stand-in's checkpoint, loaded on the CPU, gives its predictions.
	path := filepath.Join(t.TempDir(), "last.safetensors")
	if err := gpu.net.Save(path, catdog.Meta{Optimizer: opt}); err != nil {
		t.Fatal(err)
	}
	meta, ts, err := catdog.ReadMeta(path)
	if err != nil {
		t.Fatal(err)
	}
	onCPU, err := catdog.NewNetwork(cfg, batch, cpuBackend(t), opt)
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
		if !(math.Abs(float64(p-gpu.probs[i])) <= 1e-5) {
			t.Fatalf("image %d: P(cat) %v on the CPU from the checkpoint, %v where it was trained", i, p, gpu.probs[i])
		}
	}
}

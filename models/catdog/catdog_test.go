package catdog_test

import (
	"context"
	"testing"

	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
)

// TestFitsSmallSet trains each architecture, full size, on a small
// generated set until it classifies (nearly) every training image right.
func TestFitsSmallSet(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two full-size networks for up to 80 epochs: over a minute under -race (make race); make test runs it")
	}
	tests := []struct {
		arch     string
		images   int
		batch    int
		opt      optim.Optimizer
		epochs   int     // at most
		accuracy float64 // training accuracy to reach
	}{
		{catdog.ArchMLP6, 64, 16, optim.NewAdam(1e-4), 80, 1},
		// Dropout keeps the odd image wrong for a while: 98% is enough.
		{catdog.ArchCNN, 256, 32, optim.NewAdam(2e-3), 30, 0.98},
	}
	for _, tt := range tests {
		t.Run(tt.arch, func(t *testing.T) {
			cfg, err := catdog.ConfigFor(tt.arch)
			if err != nil {
				t.Fatal(err)
			}
			net, err := catdog.NewNetwork(cfg, tt.batch, cpu.New(), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			defer net.Close()
			fitSmallSet(t, net, synthetic.Generate(tt.images, 5, cfg.Side), tt.epochs, tt.accuracy)
		})
	}
}

// fitSmallSet trains net on set for up to epochs epochs, and fails unless
// its training accuracy reaches accuracy.
func fitSmallSet(t *testing.T, net *catdog.Network, set *dataset.Set, epochs int, accuracy float64) {
	t.Helper()
	var m catdog.Metrics
	var err error
	for epoch := 1; epoch <= epochs; epoch++ {
		if _, err := net.TrainEpoch(context.Background(), set, 1, epoch, nil); err != nil {
			t.Fatal(err)
		}
		if m, err = net.Evaluate(set); err != nil {
			t.Fatal(err)
		}
		if m.Accuracy >= accuracy {
			t.Logf("training accuracy %.3f after %d epochs (loss %.4f)", m.Accuracy, epoch, m.Loss)
			return
		}
	}
	t.Fatalf("training accuracy %.3f after %d epochs, want %v (confusion %v)", m.Accuracy, epochs, accuracy, m.Confusion)
}

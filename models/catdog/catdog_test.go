package catdog_test

import (
	"context"
	"testing"

	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
)

// TestDefaultModelFitsSmallSet trains the full-size default perceptron on
// a small generated set until it classifies every training image right.
func TestDefaultModelFitsSmallSet(t *testing.T) {
	set := synthetic.Generate(64, 5, 100)
	net, err := catdog.NewNetwork(catdog.DefaultConfig(), 16, cpu.New(), graph.NewAdam(1e-4))
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	var m catdog.Metrics
	for epoch := 1; epoch <= 80; epoch++ {
		if _, err := net.TrainEpoch(context.Background(), set, 1, epoch, nil); err != nil {
			t.Fatal(err)
		}
		if m, err = net.Evaluate(set); err != nil {
			t.Fatal(err)
		}
		if m.Accuracy == 1 {
			t.Logf("100%% training accuracy after %d epochs (loss %.4f)", epoch, m.Loss)
			return
		}
	}
	t.Fatalf("training accuracy %.3f after 80 epochs, want 1 (confusion %v)", m.Accuracy, m.Confusion)
}

// TestCNNFitsSmallSet trains the default CNN on a small generated set
// until it classifies nearly every training image right.
func TestCNNFitsSmallSet(t *testing.T) {
	t.Parallel()
	set := synthetic.Generate(256, 5, 100)
	cfg, err := catdog.ConfigFor(catdog.ArchCNN)
	if err != nil {
		t.Fatal(err)
	}
	net, err := catdog.NewNetwork(cfg, 32, cpu.New(), graph.NewAdam(2e-3))
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	var m catdog.Metrics
	for epoch := 1; epoch <= 30; epoch++ {
		if _, err := net.TrainEpoch(context.Background(), set, 1, epoch, nil); err != nil {
			t.Fatal(err)
		}
		if m, err = net.Evaluate(set); err != nil {
			t.Fatal(err)
		}
		if m.Accuracy >= 0.98 {
			t.Logf("training accuracy %.3f after %d epochs (loss %.4f)", m.Accuracy, epoch, m.Loss)
			return
		}
	}
	t.Fatalf("training accuracy %.3f after 30 epochs, want 0.98 (confusion %v)", m.Accuracy, m.Confusion)
}

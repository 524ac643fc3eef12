package dbg

import (
	"context"
	"testing"
	"time"

	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
)

func TestDbg(t *testing.T) {
	t0 := time.Now()
	all := synthetic.Generate(6000, 1, 100)
	train, test, _ := all.Split(0.2, 1)
	t.Logf("generated in %v", time.Since(t0))
	for _, opt := range []graph.Optimizer{graph.NewAdam(1e-4), graph.NewMomentum(0.01, 0.9)} {
		net, _ := catdog.NewNetwork(catdog.DefaultConfig(), 64, cpu.New(), opt)
		start := time.Now()
		for epoch := 1; epoch <= 12; epoch++ {
			st, err := net.TrainEpoch(context.Background(), train, 1, epoch, nil)
			if err != nil {
				t.Fatal(err)
			}
			m, _ := net.Evaluate(test)
			t.Logf("%s ep %d train loss %.4f test loss %.4f acc %.3f  %.0f/s  %v", opt.Method, epoch, st.Loss, m.Loss, m.Accuracy, st.SamplesPerSec, time.Since(start).Round(time.Second))
		}
	}
}

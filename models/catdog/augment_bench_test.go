package catdog

import (
	"context"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
)

// BenchmarkAugmentBatch transforms a batch of 64 images with the default
// augmentation, as one training step of TrainEpoch does.
func BenchmarkAugmentBatch(b *testing.B) {
	set := synthetic.Generate(64, 1, 100)
	a := DefaultAugmentation()
	dst := make([]uint8, set.Size())
	for b.Loop() {
		for r := range 64 {
			a.Draw(1, 1, r).Apply(dst, set.Image(r), set.Side)
		}
	}
	b.ReportMetric(float64(64*b.N)/b.Elapsed().Seconds(), "images/s")
}

// instantStep is a program whose training step takes no time on the CPU,
// as a GPU's nearly does: what TrainEpoch then measures is how fast the
// host prepares batches.
type instantStep struct{ backend.Program }

func (instantStep) Train(...[]float32) (float32, error) { return 0.5, nil }

// BenchmarkFeed measures how many images per second the host can prepare
// for training steps that cost it nothing: TrainEpoch's prefetched,
// parallel preparation against the same work done in sequence before each
// step, with and without augmentation. On a GPU this, not the device,
// bounds the training rate once it falls below the device's.
func BenchmarkFeed(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Hidden = []int{4}
	set := synthetic.Generate(1024, 1, cfg.Side)
	for _, aug := range []struct {
		name string
		a    Augmentation
	}{{"plain", Augmentation{}}, {"augment", DefaultAugmentation()}} {
		n, err := NewNetwork(cfg, 64, cpu.New(), optim.NewSGD(0.01))
		if err != nil {
			b.Fatal(err)
		}
		n.Program = instantStep{n.Program}
		n.Augment = aug.a
		b.Run(aug.name+"/sequential", func(b *testing.B) {
			image := make([]uint8, set.Size())
			epoch := 0
			for b.Loop() {
				epoch++
				order := EpochOrder(set.Len(), 1, epoch)
				for bt := range set.Len() / n.Batch {
					fillInOrder(n.x, n.y, set, order[bt*n.Batch:(bt+1)*n.Batch], aug.a, n.Config.Pixels, 1, epoch, image)
					if _, err := n.Program.Train(n.x, n.y); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(set.Len()*b.N)/b.Elapsed().Seconds(), "images/s")
		})
		b.Run(aug.name+"/prefetched", func(b *testing.B) {
			epoch := 0
			for b.Loop() {
				epoch++
				if _, err := n.TrainEpoch(context.Background(), set, 1, epoch, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(set.Len()*b.N)/b.Elapsed().Seconds(), "images/s")
		})
		n.Close()
	}
}

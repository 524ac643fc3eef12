package catdog

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
)

// TestPrefetchedEpochIsSequential trains one epoch with TrainEpoch, whose
// batches are prepared by several goroutines while the previous step
// runs, and one with a plain loop over the same batches, with and without
// augmentation: the losses and the weights must be the same to the bit.
func TestPrefetchedEpochIsSequential(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Hidden = []int{8}
	set := synthetic.Generate(70, 4, cfg.Side)
	for _, aug := range []Augmentation{{}, DefaultAugmentation()} {
		newNet := func() *Network {
			n, err := NewNetwork(cfg, 8, cpu.New(), optim.NewAdam(1e-3))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { n.Close() })
			n.Augment = aug
			return n
		}
		const seed, epoch = 5, 2
		fast, slow := newNet(), newNet()
		st, err := fast.TrainEpoch(context.Background(), set, seed, epoch, nil)
		if err != nil {
			t.Fatal(err)
		}

		// The definition: batch after batch, image after image.
		order := EpochOrder(set.Len(), seed, epoch)
		image := make([]uint8, set.Size())
		var sum float64
		batches := set.Len() / slow.Batch
		for b := range batches {
			fillInOrder(slow.x, slow.y, set, order[b*slow.Batch:(b+1)*slow.Batch], aug, cfg.Pixels, seed, epoch, image)
			loss, err := slow.Program.Train(slow.x, slow.y)
			if err != nil {
				t.Fatal(err)
			}
			sum += float64(loss)
		}
		if want := sum / float64(batches); st.Loss != want {
			t.Errorf("augment %v: epoch loss %v, the plain loop's %v", aug, st.Loss, want)
		}
		for _, n := range []*Network{fast, slow} {
			if err := n.Program.Sync(); err != nil {
				t.Fatal(err)
			}
		}
		for i, p := range fast.Model.Params() {
			if !slices.Equal(p.Value().Data().([]float32), slow.Model.Params()[i].Value().Data().([]float32)) {
				t.Errorf("augment %v: %s differs from the plain loop's", aug, p.Name())
			}
		}
	}
}

// fillInOrder is what a training batch holds, written out: image after
// image, each transformed by aug's draw when augmentation is on, encoded
// by enc, with its label. image is a scratch buffer of one image.
func fillInOrder(x, y []float32, set *dataset.Set, idx []int, aug Augmentation, enc dataset.Encoding, seed uint64, epoch int, image []uint8) {
	size := set.Size()
	for r, i := range idx {
		src := set.Image(i)
		if aug.Enabled() {
			aug.Draw(seed, epoch, i).Apply(image, src, set.Side)
			src = image
		}
		enc.Encode(x[r*size:(r+1)*size], src)
		y[r] = float32(set.Labels[i])
	}
}

// TestPrefetchStopsWithTheEpoch cancels an epoch after two batches: it
// returns the context's error, leaves no goroutine filling batches behind,
// and the next epoch trains as usual.
func TestPrefetchStopsWithTheEpoch(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Hidden = []int{4}
	set := synthetic.Generate(80, 6, cfg.Side)
	n, err := NewNetwork(cfg, 8, cpu.New(), optim.NewSGD(0.01))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	n.Augment = DefaultAugmentation()
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	_, err = n.TrainEpoch(ctx, set, 1, 1, func(done int, _ float32) {
		if done == 2*n.Batch {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled epoch: %v, want context.Canceled", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines after the cancelled epoch, %d before", g, before)
	}
	if _, err := n.TrainEpoch(context.Background(), set, 1, 2, nil); err != nil {
		t.Errorf("the epoch after: %v", err)
	}
}

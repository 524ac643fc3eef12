package catdog

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// ErrDiverged is returned when a training loss becomes NaN or infinite.
var ErrDiverged = fmt.Errorf("catdog: training diverged")

// ErrCollapsed is returned when the network has given every training
// image the same P(cat) for CollapsedEpochs epochs in a row: its ReLUs
// have died, or its output saturated, and the gradient that could bring
// them back is gone.
var ErrCollapsed = fmt.Errorf("catdog: training collapsed")

// CollapsedEpochs is how many epochs in a row of one answer for every
// image (Metrics.Spread below CollapsedSpread on the training probe) stop
// a run with ErrCollapsed. A network that learns answers differently
// within its first epoch; three epochs leave room for one that recovers.
const (
	CollapsedEpochs = 3
	CollapsedSpread = 1e-3
)

// EpochOrder returns the order in which epoch (1-based) visits a training
// set of n images. It depends only on the seed and the epoch, so a resumed
// run visits the images exactly as an uninterrupted one would.
func EpochOrder(n int, seed uint64, epoch int) []int {
	rng := rand.New(rand.NewPCG(seed, uint64(epoch)))
	return rng.Perm(n)
}

// EpochStats is what one training epoch measured.
type EpochStats struct {
	Epoch         int
	Loss          float64 // mean training loss over the epoch's batches
	Accuracy      float64 // training accuracy (measured after the epoch)
	Val           Metrics // on the validation set (zero if none)
	Seconds       float64
	SamplesPerSec float64
}

// TrainEpoch runs one epoch over train: full batches in EpochOrder (the
// last partial batch is left out; the order changes every epoch), each
// image transformed by n.Augment when that is enabled, each batch prepared
// while the step before it runs (prefetch.go), each step at the learning
// rate n.Rate gives it. In a data-parallel run each rank trains on its
// shard of every batch (shardOrder), and the loss is the batch's. progress,
// if not nil, is called after each batch with the images done so far. A
// cancelled ctx stops between batches with ctx.Err().
func (n *Network) TrainEpoch(ctx context.Context, train *dataset.Set, seed uint64, epoch int, progress func(done int, loss float32)) (EpochStats, error) {
	st := EpochStats{Epoch: epoch}
	order := EpochOrder(train.Len(), seed, epoch)
	batches := train.Len() / n.Batch
	if batches == 0 {
		return st, fmt.Errorf("catdog: %d training images do not fill one batch of %d; use a smaller --batch", train.Len(), n.Batch)
	}
	start := time.Now()
	var sum float64
	batch := n.prefetch(train, n.shardOrder(order, batches), batches, seed, epoch)
	defer batch.close()
	for b := 0; b < batches; b++ {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		buf := batch.next()
		if err := n.Program.SetLearningRate(n.Rate.At(epoch, float64(b)/float64(batches))); err != nil {
			batch.release(buf)
			return st, err
		}
		loss, err := n.Program.Train(buf.x, buf.y)
		batch.release(buf)
		if err != nil {
			return st, err
		}
		if math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0) {
			return st, fmt.Errorf("%w: loss is %v at epoch %d, batch %d (try a smaller learning rate)", ErrDiverged, loss, epoch, b+1)
		}
		sum += float64(loss)
		if progress != nil {
			progress((b+1)*n.Batch, loss)
		}
	}
	st.Seconds = time.Since(start).Seconds()
	st.Loss = sum / float64(batches)
	st.SamplesPerSec = float64(batches*n.Batch) / st.Seconds
	return st, nil
}

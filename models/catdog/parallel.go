package catdog

import (
	"errors"
	"fmt"

	"github.com/neurone-dl/neurone/backend/comm"
)

// A data-parallel run (RunOptions.Comm) trains one model over the ranks
// of a communicator, one process each, as one process would train it:
// every rank visits the images in the same EpochOrder, and rank r of n
// trains on the r-th of n equal shards of each batch, its backend
// averaging the gradients over the ranks (see "Data parallelism" in
// package backend). The augmentation and the dropout masks are keyed by
// the image and its place in the batch, not by the rank, so they are
// those of one process. Batch normalisation normalises each shard by its
// own statistics. The evaluations are shared out: each rank scores its
// part of a set, and every rank receives every score, so every rank
// computes the same metrics and takes the same decisions (the best
// model, early stopping, a diverged loss).

// ErrRanksMismatch is returned by Resume for a run saved by another
// number of processes than the one resuming it: its batches' gradients
// would be summed in another order, and the run would not continue to
// the weights it would have reached.
var ErrRanksMismatch = errors.New("catdog: a run must be resumed by as many processes as trained it")

// ranks is the number of processes c connects, 1 without one.
func ranks(c comm.Communicator) int {
	if c == nil {
		return 1
	}
	return c.Size()
}

// rankOf is c's rank, 0 without one.
func rankOf(c comm.Communicator) int {
	if c == nil {
		return 0
	}
	return c.Rank()
}

// shardRows returns the images of batch that each of c's ranks trains on,
// or an error naming --batch when they do not share it equally.
func shardRows(batch int, c comm.Communicator) (int, error) {
	n := ranks(c)
	if batch%n != 0 {
		return 0, fmt.Errorf("catdog: a batch of %d images (--batch) does not split into %d equal shards, one per process (mpirun -np %d): make it a multiple of %d",
			batch, n, n, n)
	}
	return batch / n, nil
}

func (n *Network) rank() int { return rankOf(n.comm) }

// shardOrder returns this rank's images of the first batches batches of
// order, a training epoch's order of the whole set: its shard of each.
func (n *Network) shardOrder(order []int, batches int) []int {
	if n.comm == nil {
		return order
	}
	out := make([]int, 0, batches*n.rows)
	lo := n.rank() * n.rows
	for b := range batches {
		out = append(out, order[b*n.Batch+lo:b*n.Batch+lo+n.rows]...)
	}
	return out
}

// evalShare returns the images [lo, hi) of a set of size images that
// this rank scores.
func evalShare(size int, c comm.Communicator) (lo, hi int) {
	r, n := rankOf(c), ranks(c)
	return r * size / n, (r + 1) * size / n
}

// gatherProbabilities gives every rank every rank's share of probs (each
// rank's holds zeros outside its share): the sum of the shares, which is
// exact, as every value is added to zeros only.
func gatherProbabilities(probs []float32, c comm.Communicator) error {
	if c == nil || len(probs) == 0 {
		return nil
	}
	if err := c.AllReduceSum(probs); err != nil {
		return fmt.Errorf("catdog: gathering the evaluation over the ranks: %w", err)
	}
	return nil
}

// agree returns err on every rank of c, or, on the ranks where all went
// well while another failed, an error saying so: the ranks go on only
// together, where one rank alone would wait for the others forever.
func agree(c comm.Communicator, err error) error {
	if c == nil {
		return err
	}
	failed := []float32{0}
	if err != nil {
		failed[0] = 1
	}
	if cerr := c.AllReduceSum(failed); cerr != nil {
		return errors.Join(err, fmt.Errorf("catdog: %w", cerr))
	}
	if err == nil && failed[0] > 0 {
		return fmt.Errorf("catdog: %g of the %d processes of the run failed (see their errors); rank %d stops with them", failed[0], c.Size(), c.Rank())
	}
	return err
}

// CheckRanks returns ErrRanksMismatch, saying how to resume the run, when
// it was saved by another number of processes (Meta.Ranks) than c
// connects (1 for nil). Resume checks it first; a command that loads its
// data before resuming can check it before.
func (r *SavedRun) CheckRanks(c comm.Communicator) error {
	saved, now := max(r.Last.Ranks, 1), ranks(c)
	if saved == now {
		return nil
	}
	how := fmt.Sprintf("with mpirun -np %d", saved)
	if saved == 1 {
		how = "without mpirun"
	}
	return fmt.Errorf("%w: %s was trained by %d process(es), not %d; resume it %s", ErrRanksMismatch, r.Dir, saved, now, how)
}

// PrepareResume reads the run saved in dir for settings s to continue it
// on the processes of c (nil: one alone): it checks their number
// (SavedRun.CheckRanks), so that a command can refuse before loading any
// data, and merges s with the run's settings (SavedRun.Merge). It returns
// the run, or nil when it could not read it (the error then wraps
// fs.ErrNotExist if dir holds no checkpoint.LastFile), and the first
// error.
func PrepareResume(dir string, c comm.Communicator, s *Settings) (*SavedRun, error) {
	saved, err := ReadRun(dir)
	if err != nil {
		return nil, err
	}
	if err := saved.CheckRanks(c); err != nil {
		return saved, err
	}
	return saved, saved.Merge(s)
}

package comm

import "fmt"

// Alone is the communicator of a process that trains by itself: one rank,
// whose collectives leave their buffers as they are. A backend given it
// runs its data-parallel path with one rank (on CUDA, NCCL with a unique
// id made locally), which checks that path's wiring where there is one
// GPU and no MPI.
type Alone struct{}

// Name is "alone".
func (Alone) Name() string { return "alone" }

// Rank is 0.
func (Alone) Rank() int { return 0 }

// Size is 1.
func (Alone) Size() int { return 1 }

// AllReduceSum leaves buf as it is: the sum over one rank.
func (Alone) AllReduceSum([]float32) error { return nil }

// AllReduceMean leaves buf as it is: the mean over one rank.
func (Alone) AllReduceMean([]float32) error { return nil }

// Broadcast checks root and leaves buf as it is.
func (Alone) Broadcast(_ []float32, root int) error {
	if root != 0 {
		return fmt.Errorf("%w: broadcast from rank %d of 1", ErrComm, root)
	}
	return nil
}

// Barrier returns at once.
func (Alone) Barrier() error { return nil }

// Close does nothing.
func (Alone) Close() error { return nil }

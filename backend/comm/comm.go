package comm

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Sentinel errors.
var (
	// ErrUnavailable says the engine a communicator needs (libmpi,
	// libnccl) could not be loaded or started.
	ErrUnavailable = errors.New("comm: not available")
	// ErrComm is a collective or set-up call that failed.
	ErrComm = errors.New("comm: communication failed")
	// ErrClosed is a call on a closed communicator.
	ErrClosed = errors.New("comm: closed")
)

// DefaultTimeout is how long a collective may wait for its peers before
// the watchdog ends the job, when neither Options nor NEURONE_COMM_TIMEOUT
// say otherwise.
const DefaultTimeout = 5 * time.Minute

// Communicator connects the ranks of one data-parallel run. Every rank
// calls the same collectives in the same order with buffers of the same
// lengths.
type Communicator interface {
	// Name says what carries the data, e.g. "mpi (Open MPI v4.1.4) rank
	// 0 of 2".
	Name() string
	// Rank is this process's index, from 0 to Size()−1.
	Rank() int
	// Size is the number of ranks.
	Size() int
	// AllReduceSum replaces buf, on every rank, by the element-wise sum
	// of every rank's buf.
	AllReduceSum(buf []float32) error
	// AllReduceMean replaces buf, on every rank, by the element-wise mean
	// of every rank's buf: the sum, multiplied by 1/Size().
	AllReduceMean(buf []float32) error
	// Broadcast replaces buf, on every rank, by root's.
	Broadcast(buf []float32, root int) error
	// Barrier returns once every rank has called it.
	Barrier() error
	// Close ends this rank's part in the communicator.
	Close() error
}

// Options configure a communicator.
type Options struct {
	// Timeout bounds each collective: past it, the watchdog reports the
	// rank and the call and aborts the job. 0 means DefaultTimeout.
	Timeout time.Duration
}

// TimeoutEnv is the environment variable FromEnv reads the timeout from:
// a Go duration ("90s", "10m") or a number of seconds.
const TimeoutEnv = "NEURONE_COMM_TIMEOUT"

// Launched reports whether this process was started by mpirun (Open
// MPI's launcher sets OMPI_COMM_WORLD_SIZE, PMIx's launchers PMIX_RANK).
func Launched() bool {
	for _, v := range []string{"OMPI_COMM_WORLD_SIZE", "PMIX_RANK"} {
		if os.Getenv(v) != "" {
			return true
		}
	}
	return false
}

// FromEnv returns the MPI communicator of this process when it was
// started by mpirun, with the timeout of NEURONE_COMM_TIMEOUT, and nil,
// nil otherwise. Under mpirun, failing to load or start MPI is an error
// (ErrUnavailable), not a silent run alone.
func FromEnv() (Communicator, error) {
	if !Launched() {
		return nil, nil
	}
	timeout, err := TimeoutFromEnv()
	if err != nil {
		return nil, err
	}
	c, err := NewMPI(Options{Timeout: timeout})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// TimeoutFromEnv parses NEURONE_COMM_TIMEOUT; unset, it is 0
// (DefaultTimeout).
func TimeoutFromEnv() (time.Duration, error) {
	s := os.Getenv(TimeoutEnv)
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, err2 := strconv.ParseFloat(s, 64)
		if err2 != nil {
			return 0, fmt.Errorf("comm: %s=%q: want a duration such as 90s or 10m, or seconds", TimeoutEnv, s)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d <= 0 {
		return 0, fmt.Errorf("comm: %s=%q: the timeout must be positive", TimeoutEnv, s)
	}
	return d, nil
}

func (o Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

// scale multiplies buf by 1/n, the step from a sum to a mean.
func scale(buf []float32, n int) {
	if n == 1 {
		return
	}
	s := 1 / float32(n)
	for i := range buf {
		buf[i] *= s
	}
}

// LocalRank is this process's rank among the ranks mpirun started on its
// machine (OMPI_COMM_WORLD_LOCAL_RANK), 0 without mpirun: the GPU a rank
// takes on a machine with several ("cuda:" + LocalRank()).
func LocalRank() int {
	r, err := strconv.Atoi(os.Getenv("OMPI_COMM_WORLD_LOCAL_RANK"))
	if err != nil || r < 0 {
		return 0
	}
	return r
}

// Shard returns the samples [lo, hi) of a global batch of globalBatch
// that rank rank of size trains on: the rank-th of size equal shards, as
// backend.Spec's data parallelism expects. A global batch that does not
// split into equal shards is an error.
func Shard(rank, size, globalBatch int) (lo, hi int, err error) {
	if size < 1 || rank < 0 || rank >= size {
		return 0, 0, fmt.Errorf("comm: rank %d of %d", rank, size)
	}
	if globalBatch < size || globalBatch%size != 0 {
		return 0, 0, fmt.Errorf("comm: a global batch of %d does not split into %d equal shards (make it a multiple of %d)", globalBatch, size, size)
	}
	n := globalBatch / size
	return rank * n, (rank + 1) * n, nil
}

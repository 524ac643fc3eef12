package comm

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"github.com/neurone-dl/neurone/internal/mpidl"
)

// MPI is the communicator of MPI_COMM_WORLD through Open MPI.
type MPI struct {
	rank, size int
	version    string
	timeout    time.Duration
	calls      chan func() // run by the goroutine that owns MPI
	done       chan error  // the result of the call in progress
	closed     bool
}

// The process's one MPI communicator: MPI starts once per process.
var world struct {
	sync.Mutex
	comm      *MPI
	finalized bool
}

// NewMPI starts MPI (once per process) and returns the communicator of
// MPI_COMM_WORLD; while it is open, later calls return the same one. It
// returns ErrUnavailable when libmpi cannot be loaded or started, and
// after Close (MPI cannot start twice in a process).
func NewMPI(opt Options) (*MPI, error) {
	world.Lock()
	defer world.Unlock()
	switch {
	case world.comm != nil:
		return world.comm, nil
	case world.finalized:
		return nil, fmt.Errorf("%w: MPI was finalised in this process and cannot start again", ErrUnavailable)
	}
	c := &MPI{timeout: opt.timeout(), calls: make(chan func()), done: make(chan error, 1)}
	started := make(chan error)
	go c.own(started)
	if err := <-started; err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	world.comm = c
	return c, nil
}

// own initialises MPI on its own locked OS thread, reports how that went
// on started, and then runs the calls given on c.calls there until Close
// (MPI_THREAD_FUNNELED: every call from the thread that initialised MPI,
// Finalize included).
func (c *MPI) own(started chan<- error) {
	runtime.LockOSThread()
	if _, ok := os.LookupEnv("OMPI_MCA_opal_signal"); !ok {
		// Open MPI would otherwise install its own handlers of SIGSEGV,
		// SIGBUS, SIGFPE and SIGABRT over the Go runtime's; Go asks that
		// C code installing handlers use SA_ONSTACK (os/signal, "Go
		// programs that use cgo"), which we cannot check of Open MPI's,
		// so these signals stay the Go runtime's.
		os.Setenv("OMPI_MCA_opal_signal", "")
	}
	err := c.start()
	started <- err
	if err != nil {
		return
	}
	for f := range c.calls {
		f()
	}
}

func (c *MPI) start() error {
	if _, err := mpidl.Init(mpidl.ThreadFunneled); err != nil {
		return err
	}
	var err error
	if c.rank, err = mpidl.Rank(); err != nil {
		return err
	}
	if c.size, err = mpidl.Size(); err != nil {
		return err
	}
	c.version = mpidl.Version()
	return nil
}

// Name says "mpi", the library and the rank.
func (c *MPI) Name() string {
	return fmt.Sprintf("mpi (%s) rank %d of %d", c.version, c.rank, c.size)
}

// Rank is this process's rank in MPI_COMM_WORLD.
func (c *MPI) Rank() int { return c.rank }

// Size is the number of processes in MPI_COMM_WORLD.
func (c *MPI) Size() int { return c.size }

// Timeout is how long a collective may wait before the watchdog aborts.
func (c *MPI) Timeout() time.Duration { return c.timeout }

// call runs f on the MPI thread and waits for it at most c.timeout; past
// that, the watchdog ends the job (abort).
func (c *MPI) call(name string, f func() error) error {
	if c.closed {
		return ErrClosed
	}
	c.calls <- func() { c.done <- f() }
	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	select {
	case err := <-c.done:
		if err != nil {
			return fmt.Errorf("%w: rank %d of %d: %w", ErrComm, c.rank, c.size, err)
		}
		return nil
	case <-timer.C:
		c.abort(name)
		panic("unreachable")
	}
}

// abortCode is the exit status of a job the watchdog ends.
const abortCode = 75

// abort reports that rank c.rank waited too long in call and ends the job
// with MPI_Abort (from this thread: the MPI thread is stuck in call), or
// the process if MPI_Abort returns.
func (c *MPI) abort(call string) {
	fmt.Fprintf(os.Stderr, "backend/comm: rank %d of %d: %s did not complete within %v: another rank died or hangs; aborting the job (%s sets the limit)\n",
		c.rank, c.size, call, c.timeout, TimeoutEnv)
	if err := mpidl.Abort(abortCode); err != nil {
		fmt.Fprintf(os.Stderr, "backend/comm: rank %d: %v\n", c.rank, err)
	}
	os.Exit(abortCode)
}

// AllReduceSum sums buf over the ranks (MPI_Allreduce, in place).
func (c *MPI) AllReduceSum(buf []float32) error {
	return c.call("MPI_Allreduce", func() error { return mpidl.AllreduceSum(buf) })
}

// AllReduceMean averages buf over the ranks.
func (c *MPI) AllReduceMean(buf []float32) error {
	if err := c.AllReduceSum(buf); err != nil {
		return err
	}
	scale(buf, c.size)
	return nil
}

// Broadcast copies root's buf to every rank (MPI_Bcast).
func (c *MPI) Broadcast(buf []float32, root int) error {
	if len(buf) == 0 {
		return c.BroadcastBytes(nil, root)
	}
	return c.BroadcastBytes(unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), 4*len(buf)), root)
}

// BroadcastBytes copies root's buf to every rank (MPI_Bcast of bytes),
// e.g. NCCL's unique id.
func (c *MPI) BroadcastBytes(buf []byte, root int) error {
	if root < 0 || root >= c.size {
		return fmt.Errorf("%w: broadcast from rank %d of %d", ErrComm, root, c.size)
	}
	return c.call("MPI_Bcast", func() error { return mpidl.Bcast(buf, root) })
}

// Barrier waits for every rank (MPI_Barrier).
func (c *MPI) Barrier() error {
	return c.call("MPI_Barrier", mpidl.Barrier)
}

// Close finalises MPI (MPI_Finalize, a collective call): every
// rank should close. MPI cannot start again in this process.
func (c *MPI) Close() error {
	if c.closed {
		return nil
	}
	err := c.call("MPI_Finalize", mpidl.Finalize)
	c.closed = true
	close(c.calls)
	world.Lock()
	world.comm, world.finalized = nil, true
	world.Unlock()
	return err
}

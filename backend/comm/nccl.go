package comm

import (
	"fmt"
	"unsafe"

	"github.com/neurone-dl/neurone/internal/nccldl"
)

// DeviceBuffer is Len float32s of device memory at address Addr.
type DeviceBuffer struct {
	Addr uint64
	Len  int
}

// NCCL is a communicator of GPU buffers through NVIDIA's NCCL, over the
// ranks of a host communicator: one GPU per rank. Its collectives are
// queued on a CUDA stream (they may be captured into a CUDA graph) and
// complete with the stream.
type NCCL struct {
	rank, size int
	version    string
	c          *nccldl.Comm
}

// LoadNCCL loads NCCL, without starting anything: ErrUnavailable, saying
// where it looked, when it cannot.
func LoadNCCL() error {
	if err := nccldl.Load(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// NewNCCL joins the current CUDA device (the context current on the
// calling OS thread) to an NCCL communicator over host's ranks: rank 0
// makes NCCL's unique id and host broadcasts it. With host nil or of one
// rank, it is a communicator of one rank whose id is made here; its
// all-reduces leave the buffers as they are. Every rank calls it
// together. It returns ErrUnavailable when NCCL cannot be loaded.
func NewNCCL(host Communicator) (*NCCL, error) {
	if err := LoadNCCL(); err != nil {
		return nil, err
	}
	n := &NCCL{size: 1}
	if host != nil {
		n.rank, n.size = host.Rank(), host.Size()
	}
	var id nccldl.ID
	var err error
	if n.rank == 0 {
		if id, err = nccldl.NewID(); err != nil {
			return nil, fmt.Errorf("%w: rank %d: %w", ErrComm, n.rank, err)
		}
	}
	if n.size > 1 {
		words := unsafe.Slice((*float32)(unsafe.Pointer(&id[0])), nccldl.IDBytes/4)
		if err := host.Broadcast(words, 0); err != nil {
			return nil, fmt.Errorf("comm: broadcasting NCCL's unique id: %w", err)
		}
	}
	if n.c, err = nccldl.InitRank(n.size, id, n.rank); err != nil {
		return nil, fmt.Errorf("%w: rank %d of %d: %w", ErrComm, n.rank, n.size, err)
	}
	n.version, _ = nccldl.Version()
	return n, nil
}

// Name says "nccl", its version and the rank.
func (n *NCCL) Name() string {
	return fmt.Sprintf("nccl %s rank %d of %d", n.version, n.rank, n.size)
}

// Rank is this process's rank.
func (n *NCCL) Rank() int { return n.rank }

// Size is the number of ranks.
func (n *NCCL) Size() int { return n.size }

// Mean queues, on stream (a CUstream), the replacement of each of bufs by
// its mean over the ranks (ncclAllReduce with ncclAvg, in place), as one
// group: NCCL launches them together.
func (n *NCCL) Mean(bufs []DeviceBuffer, stream unsafe.Pointer) error {
	if n.c == nil {
		return ErrClosed
	}
	if err := nccldl.GroupStart(); err != nil {
		return fmt.Errorf("%w: rank %d: %w", ErrComm, n.rank, err)
	}
	var first error
	for _, b := range bufs {
		if err := n.c.AllReduce(b.Addr, b.Len, nccldl.Avg, stream); err != nil && first == nil {
			first = err
		}
	}
	if err := nccldl.GroupEnd(); err != nil && first == nil {
		first = err
	}
	if first != nil {
		return fmt.Errorf("%w: rank %d of %d: %w", ErrComm, n.rank, n.size, first)
	}
	return nil
}

// Broadcast queues, on stream, the copy of root's buf to every rank.
func (n *NCCL) Broadcast(buf DeviceBuffer, root int, stream unsafe.Pointer) error {
	if n.c == nil {
		return ErrClosed
	}
	if err := n.c.Broadcast(buf.Addr, buf.Len, root, stream); err != nil {
		return fmt.Errorf("%w: rank %d of %d: %w", ErrComm, n.rank, n.size, err)
	}
	return nil
}

// Close frees the communicator once its work is done (ncclCommDestroy);
// call it with the device's context current.
func (n *NCCL) Close() error {
	if n.c == nil {
		return nil
	}
	err := n.c.Destroy()
	n.c = nil
	return err
}

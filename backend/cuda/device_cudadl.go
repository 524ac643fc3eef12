//go:build cgo && !cu

package cuda

import (
	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/internal/cudadl"
)

// streamDevice is a device on a CUDA stream of the current context, with its own
// cuBLAS handle and workspace.
type streamDevice struct {
	stream cudadl.Stream
	blas   *cudadl.BLAS
	work   cudadl.Ptr
}

// newGPU sets up cuBLAS's workspace, so that a captured step allocates
// nothing, a stream, and a cuBLAS handle bound to both (TF32 math if
// asked). The workspace comes first: on a full device its allocation
// fails with CUDA's out-of-memory error, which Compile recognises, where
// cuBLAS would fail to initialise with an error of its own.
func newGPU(tf32 bool) (device, error) {
	g := &streamDevice{}
	var err error
	if g.work, err = cudadl.Alloc(workspaceBytes); err != nil {
		return nil, err
	}
	if g.stream, err = cudadl.NewStream(); err == nil {
		if g.blas, err = cudadl.NewBLAS(g.stream); err == nil {
			if err = g.blas.SetTF32(tf32); err == nil {
				_, err = g.blas.SetWorkspace(g.work, workspaceBytes)
			}
		}
	}
	if err != nil {
		g.close()
		return nil, err
	}
	return g, nil
}

func (g *streamDevice) alloc(floats int) (cudadl.Ptr, error) { return cudadl.Alloc(4 * max(floats, 1)) }
func (g *streamDevice) free(p cudadl.Ptr) error              { return cudadl.Free(p) }
func (g *streamDevice) toDevice(dst cudadl.Ptr, src []float32) error {
	return cudadl.CopyToDevice(dst, src, g.stream)
}
func (g *streamDevice) toHost(dst []float32, src cudadl.Ptr) error {
	return cudadl.CopyToHost(dst, src, g.stream)
}
func (g *streamDevice) copy(dst, src cudadl.Ptr, n int) error {
	return cudadl.CopyOnDevice(dst, src, n, g.stream)
}
func (g *streamDevice) fill(dst cudadl.Ptr, v float32, n int) error {
	return cudadl.Fill(dst, v, n, g.stream)
}
func (g *streamDevice) launch(l *launch) error {
	return cudadl.Launch(l.fn, l.grid, l.block, 0, g.stream, l.args)
}

func (g *streamDevice) gemm(c gemmCall, at func(region) cudadl.Ptr) error {
	if c.batch == 1 {
		return g.blas.Sgemm(c.transA, c.transB, c.m, c.n, c.k, 1, at(c.a), c.lda, at(c.b), c.ldb, 0, at(c.c), c.ldc)
	}
	return g.blas.SgemmBatched(c.transA, c.transB, c.m, c.n, c.k, 1, at(c.a), c.lda, c.sa, at(c.b), c.ldb, c.sb,
		0, at(c.c), c.ldc, c.sc, c.batch)
}

func (g *streamDevice) gemv(c gemvCall, at func(region) cudadl.Ptr, ones cudadl.Ptr) error {
	return g.blas.Sgemv(false, c.m, c.n, 1, at(c.x), c.lda, ones, 1, 0, at(c.y), 1)
}

func (g *streamDevice) sync() error         { return g.stream.Sync() }
func (g *streamDevice) beginCapture() error { return cudadl.BeginCapture(g.stream) }

func (g *streamDevice) endCapture() (replayer, error) {
	graph, err := cudadl.EndCapture(g.stream)
	if err != nil {
		return nil, err
	}
	return gpuGraph{graph, g.stream}, nil
}

// averager joins this device to an NCCL communicator over c's ranks
// (one rank with a locally made id when c has one rank).
func (g *streamDevice) averager(c comm.Communicator) (averager, error) {
	n, err := comm.NewNCCL(c)
	if err != nil {
		return nil, err
	}
	return ncclAverager{n, g.stream}, nil
}

// ncclAverager averages with NCCL's grouped all-reduces on the stream.
type ncclAverager struct {
	n *comm.NCCL
	s cudadl.Stream
}

func (a ncclAverager) mean(bufs []comm.DeviceBuffer) error { return a.n.Mean(bufs, a.s.Handle()) }
func (a ncclAverager) close() error                        { return a.n.Close() }

type gpuGraph struct {
	g *cudadl.Graph
	s cudadl.Stream
}

func (r gpuGraph) replay() error  { return r.g.Launch(r.s) }
func (r gpuGraph) destroy() error { return r.g.Destroy() }

// close waits for the stream, then frees the workspace, the handle and the
// stream, keeping the first error.
func (g *streamDevice) close() error {
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	if g.stream != (cudadl.Stream{}) {
		keep(g.stream.Sync())
	}
	keep(cudadl.Free(g.work))
	keep(g.blas.Destroy())
	keep(g.stream.Destroy())
	return first
}

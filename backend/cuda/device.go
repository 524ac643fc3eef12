//go:build cgo

package cuda

import (
	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/internal/cudadl"
)

// device is what a program asks of a GPU: memory, copies, kernel launches,
// cuBLAS products and stream capture, all in order on one stream. The
// program is written against it so that the tests can run the whole
// program, not a copy of its logic, on a stand-in that keeps "device"
// memory on the host and runs the kernels' C built for the host
// (emu_test.go). Two implement it on a GPU: streamDevice over
// internal/cudadl, the libraries loaded at run time (device_cudadl.go,
// the default build), and cuDevice over gorgonia.org/cu, linked at build
// time (device_cu.go, built with -tags cu).
//
// Addresses are cudadl.Ptr in both: a device address is a number, whichever
// binding handed it out.
type device interface {
	alloc(floats int) (cudadl.Ptr, error)
	free(p cudadl.Ptr) error
	toDevice(dst cudadl.Ptr, src []float32) error
	// toHost copies after the queued work and waits for the copy.
	toHost(dst []float32, src cudadl.Ptr) error
	copy(dst, src cudadl.Ptr, n int) error
	fill(dst cudadl.Ptr, v float32, n int) error
	launch(l *launch) error
	gemm(g gemmCall, at func(region) cudadl.Ptr) error
	gemv(g gemvCall, at func(region) cudadl.Ptr, ones cudadl.Ptr) error
	sync() error
	// beginCapture and endCapture record the queued work as a graph that
	// replay queues again; recorded work does not run until replayed.
	beginCapture() error
	endCapture() (replayer, error)
	// averager returns what averages device buffers over the ranks of c
	// on this device's stream (data-parallel training).
	averager(c comm.Communicator) (averager, error)
	close() error
}

// averager averages device buffers over the ranks of a data-parallel run:
// mean queues, in order with the rest of the stream's work (and captured
// with it), the replacement of each buffer by its mean over the ranks.
type averager interface {
	mean(bufs []comm.DeviceBuffer) error
	close() error
}

// replayer is a captured graph.
type replayer interface {
	replay() error
	destroy() error
}

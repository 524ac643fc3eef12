//go:build cgo

package cuda

import (
	"fmt"
	"slices"
	"sort"

	"gonum.org/v1/gonum/blas"

	"github.com/neurone-dl/neurone/backend"
	nblas "github.com/neurone-dl/neurone/internal/blas"
	"github.com/neurone-dl/neurone/internal/cudadl"
)

func init() { backend.Register("cuda-emu", openEmu) }

// emuSMs is the multiprocessors the emulated device says it has, which
// size the grids (8 blocks per multiprocessor at most).
const emuSMs = 4

// openEmu opens "cuda-emu": the CUDA backend's program on the host.
func openEmu(index int) (backend.Backend, error) {
	if index != 0 {
		return nil, fmt.Errorf("%w: cuda-emu:%d: the emulator has one device, cuda-emu", backend.ErrUnavailable, index)
	}
	return newEmulated(0)
}

// newEmulated returns the CUDA backend on hostDevices holding at most
// limit floats each (0: no limit), run by an emulator of its own.
func newEmulated(limit int) (*Backend, error) {
	if err := nblas.Load(); err != nil {
		return nil, fmt.Errorf("%w: cuda-emu: the host BLAS for the products: %w", backend.ErrUnavailable, err)
	}
	e, err := startEmulator()
	if err != nil {
		return nil, err
	}
	b := &Backend{dev: &cudadl.Device{Name: "host", SMs: emuSMs}, kernels: map[string]cudadl.Function{}, hosted: true, emu: e,
		name: "cuda-emu (the CUDA backend emulated on the host)"}
	b.newDevice = func(bool) (device, error) {
		h := newHostDevice(e)
		h.limit = limit
		return h, nil
	}
	return b, nil
}

// emuVersions is Versions for cuda-emu: which compiler built the kernels,
// and which BLAS runs the products.
func (b *Backend) emuVersions() string {
	return fmt.Sprintf("kernels: host build by %s, blocks of %d threads (reductions %d); products: %s",
		b.emu.compiler, emuThreads, emuReduceThreads, nblas.Name())
}

// hostDevice is the device of a cuda-emu program: memory in the
// emulator's memory at its device addresses, kernels run by the
// emulator, products by the host BLAS as cuBLAS defines them, and capture
// that records the queued work and runs it only when replayed, as a CUDA
// graph does. It refuses what a GPU would make an error or a leak:
// copies while capturing, an address outside the device's buffers,
// freeing an address twice or one never allocated, and closing with
// memory still allocated.
type hostDevice struct {
	e         *emulator
	bufs      []hostBuf // by address
	limit     int       // floats it can hold; 0: no limit
	used      int
	recording []func() error
	capturing bool
	replays   int
}

// hostBuf is an allocated buffer: its address and its size in floats.
type hostBuf struct {
	at     cudadl.Ptr
	floats int
}

func newHostDevice(e *emulator) *hostDevice { return &hostDevice{e: e} }

func (h *hostDevice) alloc(n int) (cudadl.Ptr, error) {
	n = max(n, 1)
	if h.limit > 0 && h.used+n > h.limit {
		return 0, fmt.Errorf("allocating %d bytes: %w", 4*n, &cudadl.Error{Call: "cuMemAlloc", Code: 2, Name: "CUDA_ERROR_OUT_OF_MEMORY", Message: "out of memory"})
	}
	at, err := h.e.mem.alloc(4 * n)
	if err != nil {
		return 0, err
	}
	h.used += n
	i := sort.Search(len(h.bufs), func(i int) bool { return h.bufs[i].at > at })
	h.bufs = slices.Insert(h.bufs, i, hostBuf{at, n})
	return at, nil
}

func (h *hostDevice) free(p cudadl.Ptr) error {
	if p == 0 {
		return nil
	}
	i, ok := slices.BinarySearchFunc(h.bufs, p, func(b hostBuf, p cudadl.Ptr) int { return cmpPtr(b.at, p) })
	if !ok {
		return fmt.Errorf("free of %#x, which is not allocated", uint64(p))
	}
	buf := h.bufs[i]
	h.used -= buf.floats
	h.bufs = slices.Delete(h.bufs, i, i+1)
	return h.e.mem.free(buf.at, 4*buf.floats)
}

func cmpPtr(a, b cudadl.Ptr) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// find returns the buffer that holds address p.
func (h *hostDevice) find(p cudadl.Ptr) (hostBuf, error) {
	i := sort.Search(len(h.bufs), func(i int) bool { return h.bufs[i].at > p }) - 1
	if i < 0 || p >= h.bufs[i].at+cudadl.Ptr(4*h.bufs[i].floats) {
		return hostBuf{}, fmt.Errorf("address %#x is in no buffer", uint64(p))
	}
	return h.bufs[i], nil
}

// owns says whether p is an address in the device's buffers.
func (h *hostDevice) owns(p cudadl.Ptr) error {
	_, err := h.find(p)
	return err
}

// span returns the memory of n floats at device address p.
func (h *hostDevice) span(p cudadl.Ptr, n int) ([]float32, error) {
	buf, err := h.find(p)
	if err != nil {
		return nil, err
	}
	if p+cudadl.Ptr(4*n) > buf.at+cudadl.Ptr(4*buf.floats) {
		return nil, fmt.Errorf("%d floats at %#x overrun its buffer", n, uint64(p))
	}
	return h.e.mem.span(p, n), nil
}

// rest returns the memory from device address p to the end of its buffer.
func (h *hostDevice) rest(p cudadl.Ptr) ([]float32, error) {
	buf, err := h.find(p)
	if err != nil {
		return nil, err
	}
	return h.e.mem.span(p, buf.floats-int(p-buf.at)/4), nil
}

// queue runs op, or records it while capturing.
func (h *hostDevice) queue(op func() error) error {
	if h.capturing {
		h.recording = append(h.recording, op)
		return nil
	}
	return op()
}

func (h *hostDevice) toDevice(dst cudadl.Ptr, src []float32) error {
	if h.capturing {
		return fmt.Errorf("a copy from the host while capturing")
	}
	d, err := h.span(dst, len(src))
	if err != nil {
		return err
	}
	copy(d, src)
	return nil
}

func (h *hostDevice) toHost(dst []float32, src cudadl.Ptr) error {
	if h.capturing {
		return fmt.Errorf("a copy to the host while capturing")
	}
	s, err := h.span(src, len(dst))
	if err != nil {
		return err
	}
	copy(dst, s)
	return nil
}

func (h *hostDevice) copy(dst, src cudadl.Ptr, n int) error {
	return h.queue(func() error {
		d, err := h.span(dst, n)
		if err != nil {
			return err
		}
		s, err := h.span(src, n)
		if err != nil {
			return err
		}
		copy(d, s)
		return nil
	})
}

func (h *hostDevice) fill(dst cudadl.Ptr, v float32, n int) error {
	return h.queue(func() error {
		d, err := h.span(dst, n)
		if err != nil {
			return err
		}
		for i := range d {
			d[i] = v
		}
		return nil
	})
}

func (h *hostDevice) launch(l *launch) error {
	return h.queue(func() error { return h.e.launch(l, h.owns) })
}

// gemm computes the column-major product g describes, as cuBLAS does, with
// the host BLAS, which is row-major: a column-major matrix is its
// transpose row-major, so C = op(A)·op(B) is Cᵀ = op(B)ᵀ·op(A)ᵀ there.
func (h *hostDevice) gemm(g gemmCall, at func(region) cudadl.Ptr) error {
	if err := cublasArgs(g); err != nil {
		return err
	}
	a, b, c := at(g.a), at(g.b), at(g.c)
	return h.queue(func() error {
		for i := range g.batch {
			as, err := h.rest(a + cudadl.Ptr(4*i*g.sa))
			if err != nil {
				return err
			}
			bs, err := h.rest(b + cudadl.Ptr(4*i*g.sb))
			if err != nil {
				return err
			}
			cs, err := h.rest(c + cudadl.Ptr(4*i*g.sc))
			if err != nil {
				return err
			}
			nblas.Impl().Sgemm(transpose(g.transB), transpose(g.transA), g.n, g.m, g.k, 1, bs, g.ldb, as, g.lda, 0, cs, g.ldc)
		}
		return nil
	})
}

// transpose is BLAS's flag for a transposed operand or not (for the host
// BLAS here, and for cu/blas in device_cu.go).
func transpose(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// gemv sums the columns of the column-major m×n matrix X: y = X·1, which
// is Xᵀ row-major, transposed.
func (h *hostDevice) gemv(g gemvCall, at func(region) cudadl.Ptr, ones cudadl.Ptr) error {
	if err := cublasGemvArgs(g); err != nil {
		return err
	}
	x, y := at(g.x), at(g.y)
	return h.queue(func() error {
		xs, err := h.rest(x)
		if err != nil {
			return err
		}
		ys, err := h.span(y, g.m)
		if err != nil {
			return err
		}
		os, err := h.span(ones, g.n)
		if err != nil {
			return err
		}
		nblas.Impl().Sgemv(blas.Trans, g.n, g.m, 1, xs, g.lda, os, 1, 0, ys, 1)
		return nil
	})
}

func (h *hostDevice) sync() error { return nil }

func (h *hostDevice) beginCapture() error {
	h.capturing, h.recording = true, nil
	return nil
}

func (h *hostDevice) endCapture() (replayer, error) {
	h.capturing = false
	return &hostGraph{h: h, ops: h.recording}, nil
}

func (h *hostDevice) close() error {
	if len(h.bufs) > 0 {
		return fmt.Errorf("closed with %d buffers still allocated", len(h.bufs))
	}
	return nil
}

// hostGraph is a captured training step of a hostDevice.
type hostGraph struct {
	h   *hostDevice
	ops []func() error
}

func (g *hostGraph) replay() error {
	g.h.replays++
	for _, op := range g.ops {
		if err := op(); err != nil {
			return err
		}
	}
	return nil
}

func (g *hostGraph) destroy() error { return nil }

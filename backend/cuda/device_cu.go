//go:build cgo && cu

package cuda

import (
	"fmt"
	"math"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gorgonia.org/cu"
	cublas "gorgonia.org/cu/blas"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/internal/cudadl"
)

// cuDevice is a device over gorgonia.org/cu: cu's driver calls for memory,
// copies and launches, a cu/blas handle for the products. What cu v0.9.6
// lacks shapes it:
//
//   - cu/blas cannot bind its handle to a stream (no cublasSetStream), so
//     every call goes to the context's legacy default stream, where cuBLAS
//     runs: the kernels and copies keep their order with the products
//     there, and the copies to and from the host are the synchronous ones.
//   - cu has no stream capture, so there is no CUDA graph to replay:
//     beginCapture is an ErrUnsupported and the program runs every
//     training step eagerly, as it does when capture fails.
//   - cu/blas cannot set cuBLAS's math mode (no cublasSetMathMode):
//     TensorFloat-32 (Spec.AllowTF32) is an ErrUnsupported from Compile.
//   - cu/blas has no strided batched SGEMM: a batch of products is one
//     SGEMM per matrix.
//   - cu/nvrtc has no nvrtcGetCUBIN: the kernels are PTX, which the driver
//     compiles for the device when it loads them (backend_cu.go).
type cuDevice struct {
	kernels map[string]cu.Function
	blas    *cublas.Standard
}

// errNoCapture is beginCapture's error on the cu layer.
var errNoCapture = fmt.Errorf("%w: stream capture: gorgonia.org/cu v0.9.6 has no cuStreamBeginCapture; the cu layer runs every step eagerly",
	backend.ErrUnsupported)

// newCuDevice makes a device launching kernels, with a cuBLAS handle of its
// own. Before creating the handle it sets aside cuBLAS's workspace and
// gives it back, so that on a full device the error is CUDA's out of
// memory, which Compile recognises, where cuBLAS might fail to initialise
// with an error of its own.
func newCuDevice(kernels map[string]cu.Function, tf32 bool) (device, error) {
	if tf32 {
		return nil, fmt.Errorf("%w: TensorFloat-32 (AllowTF32): gorgonia.org/cu/blas v0.9.6 has no cublasSetMathMode; "+
			"the default build (without -tags cu) has it", backend.ErrUnsupported)
	}
	reserve, err := cu.MemAlloc(workspaceBytes)
	if err != nil {
		return nil, fmt.Errorf("allocating %d bytes: %w", workspaceBytes, cuError("cuMemAlloc", err))
	}
	handle := &cublas.Standard{}
	err = cuError("cublasCreate", handle.Init())
	if ferr := cuError("cuMemFree", cu.MemFree(reserve)); err == nil {
		err = ferr
	}
	if err != nil {
		handle.Close()
		return nil, err
	}
	return &cuDevice{kernels: kernels, blas: handle}, nil
}

func (d *cuDevice) alloc(floats int) (cudadl.Ptr, error) {
	bytes := 4 * max(floats, 1)
	p, err := cu.MemAlloc(int64(bytes))
	if err != nil {
		return 0, fmt.Errorf("allocating %d bytes: %w", bytes, cuError("cuMemAlloc", err))
	}
	return cudadl.Ptr(p), nil
}

func (d *cuDevice) free(p cudadl.Ptr) error {
	if p == 0 {
		return nil
	}
	return cuError("cuMemFree", cu.MemFree(cu.DevicePtr(p)))
}

// toDevice copies synchronously: it returns once src is on the device,
// after the work queued before it.
func (d *cuDevice) toDevice(dst cudadl.Ptr, src []float32) error {
	if len(src) == 0 {
		return nil
	}
	return cuError("cuMemcpyHtoD", cu.MemcpyHtoD(cu.DevicePtr(dst), unsafe.Pointer(&src[0]), int64(4*len(src))))
}

func (d *cuDevice) toHost(dst []float32, src cudadl.Ptr) error {
	if len(dst) == 0 {
		return nil
	}
	return cuError("cuMemcpyDtoH", cu.MemcpyDtoH(unsafe.Pointer(&dst[0]), cu.DevicePtr(src), int64(4*len(dst))))
}

func (d *cuDevice) copy(dst, src cudadl.Ptr, n int) error {
	return cuError("cuMemcpyDtoDAsync", cu.MemcpyDtoDAsync(cu.DevicePtr(dst), cu.DevicePtr(src), int64(4*n), cu.NoStream))
}

func (d *cuDevice) fill(dst cudadl.Ptr, v float32, n int) error {
	return cuError("cuMemsetD32Async", cu.MemsetD32Async(cu.DevicePtr(dst), uint(math.Float32bits(v)), int64(n), cu.NoStream))
}

// launch launches the kernel the launch names, as cu loaded it, with the
// arguments packed for it (cu's Launch copies them).
func (d *cuDevice) launch(l *launch) error {
	fn, ok := d.kernels[l.name]
	if !ok {
		return fmt.Errorf("kernel %s: not loaded by gorgonia.org/cu", l.name)
	}
	return cuError("cuLaunchKernel", fn.Launch(int(l.grid.X), int(max(l.grid.Y, 1)), int(max(l.grid.Z, 1)),
		int(l.block.X), int(max(l.block.Y, 1)), int(max(l.block.Z, 1)), 0, cu.NoStream, l.args.Params()))
}

// onDevice is device address p as the []float32 that cu/blas takes for a
// matrix or vector: cu/blas hands &x[0] to cuBLAS and reads nothing of the
// slice in Go, so one element at that address serves. The memory is the
// GPU's, outside Go's heap.
func onDevice(p cudadl.Ptr) []float32 {
	return unsafe.Slice((*float32)(*(*unsafe.Pointer)(unsafe.Pointer(&p))), 1)
}

// gemm makes c's SGEMM, or one per matrix of a batch.
func (d *cuDevice) gemm(c gemmCall, at func(region) cudadl.Ptr) error {
	a, b, out := at(c.a), at(c.b), at(c.c)
	for i := range max(c.batch, 1) {
		d.blas.Sgemm(transpose(c.transA), transpose(c.transB), c.m, c.n, c.k,
			1, onDevice(a+cudadl.Ptr(4*i*c.sa)), c.lda, onDevice(b+cudadl.Ptr(4*i*c.sb)), c.ldb,
			0, onDevice(out+cudadl.Ptr(4*i*c.sc)), c.ldc)
		if err := d.blasErr("cublasSgemm"); err != nil {
			return err
		}
	}
	return nil
}

func (d *cuDevice) gemv(c gemvCall, at func(region) cudadl.Ptr, ones cudadl.Ptr) error {
	d.blas.Sgemv(blas.NoTrans, c.m, c.n, 1, onDevice(at(c.x)), c.lda, onDevice(ones), 1, 0, onDevice(at(c.y)), 1)
	return d.blasErr("cublasSgemv")
}

// blasErr is the error of the last cu/blas call. cu/blas keeps its first
// error and makes no call after it, so a failure also replaces the handle
// with a new one, for the calls that follow.
func (d *cuDevice) blasErr(call string) error {
	err := d.blas.Err()
	if err == nil {
		return nil
	}
	fresh := &cublas.Standard{}
	if fresh.Init() == nil {
		d.blas.Close()
		d.blas = fresh
	}
	return cuError(call, err)
}

func (d *cuDevice) sync() error { return cuError("cuCtxSynchronize", cu.Synchronize()) }

func (d *cuDevice) beginCapture() error { return errNoCapture }

// averager is an ErrUnsupported: the cu layer has no stream handle to give
// NCCL (its work goes to the legacy default stream).
func (d *cuDevice) averager(comm.Communicator) (averager, error) {
	return nil, fmt.Errorf("%w: data-parallel training (Spec.Comm) on the cu layer; the default build (without -tags cu) has it",
		backend.ErrUnsupported)
}
func (d *cuDevice) endCapture() (replayer, error) { return nil, errNoCapture }

// close waits for the device, then destroys the cuBLAS handle, keeping the
// first error.
func (d *cuDevice) close() error {
	err := d.sync()
	if cerr := cuError("cublasDestroy", d.blas.Close()); err == nil {
		err = cerr
	}
	return err
}

//go:build cgo

package cuda

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/internal/cudadl"
)

func init() { backend.Register("cuda", open) }

// Backend is one CUDA device: its primary context, and the kernels loaded
// into it. What reaches the device is one of two bindings, chosen when the
// binary is built: internal/cudadl, which loads the libraries at run time
// (backend_cudadl.go, the default), or gorgonia.org/cu, linked at build
// time (backend_cu.go, -tags cu). Each supplies open and the methods
// makeCurrent, unload, memInfo and Versions; the rest is shared.
type Backend struct {
	// dev describes the device (name, compute capability,
	// multiprocessors); with cudadl it also holds the primary context.
	dev     *cudadl.Device
	name    string
	image   *cudadl.Image // the kernels as loaded (cudadl)
	module  cudadl.Module
	kernels map[string]cudadl.Function // (cudadl; the cu layer keeps its own)
	cu      cuHandles                  // gorgonia.org/cu's handles (-tags cu; empty otherwise)
	closed  bool
	// newDevice makes each program's device (newGPU). hosted marks
	// cuda-emu, the backend on the host (emu.go), which has no context to
	// make current; emu is its emulator.
	newDevice func(tf32 bool) (device, error)
	hosted    bool
	emu       *emulator
}

// unavailable is open's error: ErrUnavailable, the device, what is
// missing and why.
func unavailable(index int, what string, err error) error {
	return fmt.Errorf("%w: cuda:%d: %s: %w", backend.ErrUnavailable, index, what, err)
}

// deviceName is the Backend's name, e.g. "cuda:0 (NVIDIA H100 80GB HBM3,
// compute 9.0)".
func deviceName(index int, dev *cudadl.Device) string {
	return fmt.Sprintf("cuda:%d (%s, compute %d.%d)", index, dev.Name, dev.Major, dev.Minor)
}

// kernelImage compiles kernelSource for compute capability cc (10·major +
// minor): a CUBIN for the device, or PTX when NVRTC is older than the
// device (see cudadl.Build, which compiles each once per process).
func kernelImage(cc int) (*cudadl.Image, error) {
	return cudadl.Build(kernelSource, "neurone_kernels.cu", cc)
}

// Name says which device runs, e.g. "cuda:0 (NVIDIA H100 80GB HBM3, compute 9.0)".
func (b *Backend) Name() string { return b.name }

// String is Name, so that printing a Backend says what runs.
func (b *Backend) String() string { return b.name }

// enter locks the calling goroutine to its thread and makes the device's
// context current there; call the returned function when done.
func (b *Backend) enter() (func(), error) {
	if b.closed {
		return nil, backend.ErrClosed
	}
	if b.hosted {
		return func() {}, nil
	}
	runtime.LockOSThread()
	if err := b.makeCurrent(); err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	return runtime.UnlockOSThread, nil
}

// Close unloads the kernels and releases the device. Close the backend's
// programs first.
func (b *Backend) Close() error {
	leave, err := b.enter()
	if err != nil {
		if errors.Is(err, backend.ErrClosed) {
			return nil
		}
		return err
	}
	defer leave()
	b.closed = true
	if b.emu != nil {
		return b.emu.close()
	}
	return b.unload()
}

// freeMemory says, for an out-of-memory error, how much memory the device
// has free: ", N MB free of M" (or nothing when it cannot say). Call it
// in the device's context.
func (b *Backend) freeMemory() string {
	if b.hosted {
		return ""
	}
	free, total, err := b.memInfo()
	if err != nil {
		return ""
	}
	return fmt.Sprintf(", %.0f MB free of %.0f", float64(free)/1e6, float64(total)/1e6)
}

// MemInfo returns the device's free and total memory in bytes; cuda-emu
// has no device memory to measure (backend.ErrUnsupported).
func (b *Backend) MemInfo() (free, total uint64, err error) {
	leave, err := b.enter()
	if err != nil {
		return 0, 0, err
	}
	defer leave()
	if b.emu != nil {
		return 0, 0, fmt.Errorf("%w: %s has no device memory to measure", backend.ErrUnsupported, b.name)
	}
	return b.memInfo()
}

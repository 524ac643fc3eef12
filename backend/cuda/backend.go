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
// into it.
type Backend struct {
	dev     *cudadl.Device
	name    string
	image   *cudadl.Image // the kernels as loaded
	module  cudadl.Module
	kernels map[string]cudadl.Function
	closed  bool
	// newDevice makes each program's device (newGPU). hosted marks the
	// tests' stand-in for a GPU, which has no context to make current.
	newDevice func(tf32 bool) (device, error)
	hosted    bool
}

// open opens device index, or says in an ErrUnavailable what is missing.
func open(index int) (backend.Backend, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	unavailable := func(what string, err error) error {
		return fmt.Errorf("%w: cuda:%d: %s: %w", backend.ErrUnavailable, index, what, err)
	}
	if err := cudadl.LoadDriver(); err != nil {
		if errors.Is(err, cudadl.ErrNotLoaded) {
			return nil, unavailable("no NVIDIA driver on this machine", err)
		}
		return nil, unavailable("the NVIDIA driver found no usable GPU", err)
	}
	dev, err := cudadl.RetainDevice(index)
	if err != nil {
		return nil, unavailable("no such device", err)
	}
	b := &Backend{dev: dev, kernels: map[string]cudadl.Function{}, newDevice: newGPU}
	b.name = fmt.Sprintf("cuda:%d (%s, compute %d.%d)", index, dev.Name, dev.Major, dev.Minor)
	if err := b.load(); err != nil {
		dev.Release()
		return nil, unavailable("the CUDA libraries are incomplete", err)
	}
	return b, nil
}

// load compiles (once per process and architecture) and loads the kernels,
// and checks that cuBLAS is present.
func (b *Backend) load() error {
	if err := b.dev.MakeCurrent(); err != nil {
		return err
	}
	if err := cudadl.LoadBLAS(); err != nil {
		return err
	}
	var err error
	if b.image, err = kernelImage(10*b.dev.Major + b.dev.Minor); err != nil {
		return err
	}
	if b.module, err = cudadl.LoadModule(b.image.Code); err != nil {
		return fmt.Errorf("loading the kernels (%v): %w", b.image, err)
	}
	for _, name := range kernelNames {
		f, err := b.module.Function(name)
		if err != nil {
			b.module.Unload()
			return err
		}
		b.kernels[name] = f
	}
	return nil
}

// kernelImage compiles kernelSource for compute capability cc (10·major +
// minor): a CUBIN for the device, or PTX when NVRTC is older than the
// device (see cudadl.Build, which compiles each once per process).
func kernelImage(cc int) (*cudadl.Image, error) {
	return cudadl.Build(kernelSource, "neurone_kernels.cu", cc)
}

// Versions says which CUDA libraries run, and how the kernels were built,
// e.g. "driver 13.0 /usr/lib/x86_64-linux-gnu/libcuda.so.1; cuBLAS 13.0.0
// ...; NVRTC 13.0 ...; kernels: CUBIN for sm_90 (...)".
func (b *Backend) Versions() string {
	s := cudadl.Versions()
	if b.image != nil {
		s += "; kernels: " + b.image.String()
	}
	return s
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
	if err := b.dev.MakeCurrent(); err != nil {
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
	err = b.module.Unload()
	if rerr := b.dev.Release(); err == nil {
		err = rerr
	}
	return err
}

// freeMemory says, for an out-of-memory error, how much memory the device
// has free: ", N MB free of M" (or nothing when it cannot say). Call it
// in the device's context.
func (b *Backend) freeMemory() string {
	if b.hosted {
		return ""
	}
	free, total, err := cudadl.MemInfo()
	if err != nil {
		return ""
	}
	return fmt.Sprintf(", %.0f MB free of %.0f", float64(free)/1e6, float64(total)/1e6)
}

// MemInfo returns the device's free and total memory in bytes.
func (b *Backend) MemInfo() (free, total uint64, err error) {
	leave, err := b.enter()
	if err != nil {
		return 0, 0, err
	}
	defer leave()
	return cudadl.MemInfo()
}

//go:build cgo && !cu

package cuda

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/internal/cudadl"
)

// cuHandles is empty in the default build: cudadl's handles are the
// Backend's own fields.
type cuHandles struct{}

// open opens device index, or says in an ErrUnavailable what is missing.
func open(index int) (backend.Backend, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cudadl.LoadDriver(); err != nil {
		if errors.Is(err, cudadl.ErrNotLoaded) {
			return nil, unavailable(index, "no NVIDIA driver on this machine", err)
		}
		return nil, unavailable(index, "the NVIDIA driver found no usable GPU", err)
	}
	dev, err := cudadl.RetainDevice(index)
	if err != nil {
		return nil, unavailable(index, "no such device", err)
	}
	b := &Backend{dev: dev, kernels: map[string]cudadl.Function{}, newDevice: newGPU}
	b.name = deviceName(index, dev)
	if err := b.load(); err != nil {
		dev.Release()
		return nil, unavailable(index, "the CUDA libraries are incomplete", err)
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

// Versions says which CUDA libraries run, and how the kernels were built,
// e.g. "driver 13.0 /usr/lib/x86_64-linux-gnu/libcuda.so.1; cuBLAS 13.0.0
// ...; NVRTC 13.0 ...; kernels: CUBIN for sm_90 (...)".
func (b *Backend) Versions() string {
	if b.emu != nil {
		return b.emuVersions()
	}
	s := cudadl.Versions()
	if b.image != nil {
		s += "; kernels: " + b.image.String()
	}
	return s
}

func (b *Backend) makeCurrent() error { return b.dev.MakeCurrent() }

// unload unloads the kernels and releases the primary context, keeping the
// first error.
func (b *Backend) unload() error {
	err := b.module.Unload()
	if rerr := b.dev.Release(); err == nil {
		err = rerr
	}
	return err
}

func (b *Backend) memInfo() (free, total uint64, err error) { return cudadl.MemInfo() }

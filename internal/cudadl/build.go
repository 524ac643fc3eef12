//go:build cgo

package cudadl

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Image is device code compiled for one GPU architecture, for LoadModule.
type Image struct {
	// Code is a CUBIN, or PTX text when PTX is set. Build shares it
	// between its callers: do not modify it.
	Code []byte
	PTX  bool
	// Arch is the architecture compiled for, as 10·major+minor: the
	// device's own for a CUBIN; for PTX, the newest virtual architecture
	// NVRTC knows at or below the device's, which the driver compiles for
	// the device when it loads the module.
	Arch int
}

func (im *Image) String() string {
	if im.PTX {
		return fmt.Sprintf("PTX for compute_%d (%d bytes), compiled for the device by the driver", im.Arch, len(im.Code))
	}
	return fmt.Sprintf("CUBIN for sm_%d (%d bytes)", im.Arch, len(im.Code))
}

type buildKey struct {
	source, name string
	cc           int
	options      string
}

var builds struct {
	sync.Mutex
	done map[buildKey]*Image
}

// Build compiles CUDA C source for a device of compute capability cc
// (10·major+minor) with the given NVRTC options (no architecture among
// them): to a CUBIN for sm_cc, machine code the driver loads as it is,
// when this NVRTC knows that architecture; when it does not (NVRTC is
// older than the GPU), to PTX for the newest architecture it knows below
// cc, which the driver compiles for the device. Each distinct build is
// compiled once per process; later calls return the same Image.
func Build(source, name string, cc int, options ...string) (*Image, error) {
	key := buildKey{source: source, name: name, cc: cc, options: strings.Join(options, "\x00")}
	builds.Lock()
	defer builds.Unlock()
	if im, ok := builds.done[key]; ok {
		return im, nil
	}
	im, err := build(source, name, cc, options)
	if err != nil {
		return nil, err
	}
	if builds.done == nil {
		builds.done = map[buildKey]*Image{}
	}
	builds.done[key] = im
	return im, nil
}

func build(source, name string, cc int, options []string) (*Image, error) {
	archs, err := SupportedArchs()
	if err != nil {
		return nil, err
	}
	arch := cc
	if archs != nil && !slices.Contains(archs, cc) {
		// archs is ascending: the newest at or below cc.
		arch = 0
		for _, a := range archs {
			if a <= cc {
				arch = a
			}
		}
		if arch == 0 {
			major, minor, _ := NVRTCVersion()
			return nil, fmt.Errorf("cudadl: NVRTC %d.%d compiles for compute capability %d.%d to %d.%d; this device has %d.%d",
				major, minor, archs[0]/10, archs[0]%10, archs[len(archs)-1]/10, archs[len(archs)-1]%10, cc/10, cc%10)
		}
	} else {
		code, err := CompileCUBIN(source, name, append(slices.Clone(options), fmt.Sprintf("--gpu-architecture=sm_%d", cc))...)
		if !errors.Is(err, ErrNoCUBIN) {
			if err != nil {
				return nil, err
			}
			return &Image{Code: code, Arch: cc}, nil
		}
	}
	ptx, err := Compile(source, name, append(slices.Clone(options), fmt.Sprintf("--gpu-architecture=compute_%d", arch))...)
	if err != nil {
		return nil, err
	}
	return &Image{Code: []byte(ptx), PTX: true, Arch: arch}, nil
}

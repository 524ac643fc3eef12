//go:build cgo

// Package cudadl is Neurone's binding to the CUDA driver API, cuBLAS and
// NVRTC, loaded at run time with dlopen.
//
// Loading at run time, rather than linking, is what lets one binary run
// everywhere: on a machine without an NVIDIA driver or toolkit the binary
// still starts, and LoadDriver returns an error saying what is missing, so
// callers can fall back to the CPU. Building needs no CUDA headers or link
// stubs either, only cgo.
//
// The binding is deliberately small: the calls a training step needs
// (device memory, streams, modules and launches, stream capture into CUDA
// graphs, SGEMM/SGEMV, run-time compilation), with CUDA's error codes turned
// into *Error values naming the call.
//
// A CUDA context is current per OS thread: callers lock their goroutine to
// its thread (runtime.LockOSThread) and make the device's context current
// before calling anything that needs one.
package cudadl

/*
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unsafe"
)

// ErrNotLoaded says a library could not be loaded; the wrapping error names
// the library and the places tried.
var ErrNotLoaded = errors.New("cudadl: library not found")

// Error is a failed CUDA, cuBLAS or NVRTC call.
type Error struct {
	Call    string // e.g. "cuMemAlloc"
	Code    int    // the library's result code
	Name    string // e.g. "CUDA_ERROR_OUT_OF_MEMORY"
	Message string // the library's description, when it has one
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %s (%d)", e.Call, e.Name, e.Code)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// OutOfMemory reports whether the call ran out of device memory.
func (e *Error) OutOfMemory() bool {
	switch {
	case strings.HasPrefix(e.Call, "cublas"):
		return e.Code == 3 // CUBLAS_STATUS_ALLOC_FAILED
	case strings.HasPrefix(e.Call, "nvrtc"):
		return e.Code == 1 // NVRTC_ERROR_OUT_OF_MEMORY
	}
	return e.Code == 2 // CUDA_ERROR_OUT_OF_MEMORY
}

// IsOutOfMemory reports whether err is or wraps an out-of-memory Error.
func IsOutOfMemory(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.OutOfMemory()
}

func check(call string, r C.nrn_result) error {
	if r == 0 {
		return nil
	}
	return &Error{Call: call, Code: int(r), Name: C.GoString(C.nrn_cuErrorName(r)), Message: C.GoString(C.nrn_cuErrorString(r))}
}

// libDirs are the folders searched after the dynamic loader's own path:
// $CUDA_HOME/lib64, $CUDA_PATH/lib64 and /usr/local/cuda/lib64.
func libDirs() []string {
	var dirs []string
	for _, env := range []string{"CUDA_HOME", "CUDA_PATH"} {
		if d := os.Getenv(env); d != "" {
			dirs = append(dirs, filepath.Join(d, "lib64"))
		}
	}
	return append(dirs, "/usr/local/cuda/lib64")
}

// loader loads one library once, trying each name on the loader's path and
// then in libDirs.
type loader struct {
	once  sync.Once
	err   error
	what  string
	names []string
	load  func(*C.char) *C.char
}

func (l *loader) do() error {
	l.once.Do(func() {
		var tried []string
		var first string
		try := func(path string) bool {
			cs := C.CString(path)
			defer C.free(unsafe.Pointer(cs))
			msg := l.load(cs)
			if msg == nil {
				return true
			}
			tried = append(tried, path)
			if m := C.GoString(msg); first == "" || !strings.Contains(m, "No such file") {
				first = m
			}
			return false
		}
		for _, n := range l.names {
			if try(n) {
				return
			}
		}
		for _, d := range libDirs() {
			for _, n := range l.names {
				if p := filepath.Join(d, n); fileExists(p) && try(p) {
					return
				}
			}
		}
		l.err = fmt.Errorf("%w: %s (tried %s): %s", ErrNotLoaded, l.what, strings.Join(l.names, ", "), first)
	})
	return l.err
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

var (
	driverLib = loader{what: "the NVIDIA driver's libcuda", names: []string{"libcuda.so.1", "libcuda.so"},
		load: func(p *C.char) *C.char { return C.nrn_load_driver(p) }}
	blasLib = loader{what: "cuBLAS", names: []string{"libcublas.so", "libcublas.so.13", "libcublas.so.12", "libcublas.so.11"},
		load: func(p *C.char) *C.char { return C.nrn_load_cublas(p) }}
	nvrtcLib = loader{what: "NVRTC", names: []string{"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"},
		load: func(p *C.char) *C.char { return C.nrn_load_nvrtc(p) }}

	initOnce sync.Once
	initErr  error
)

// LoadDriver loads libcuda and initialises the driver (once per process).
func LoadDriver() error {
	if err := driverLib.do(); err != nil {
		return err
	}
	initOnce.Do(func() { initErr = check("cuInit", C.nrn_cuInit()) })
	return initErr
}

// LoadBLAS loads cuBLAS (once per process).
func LoadBLAS() error { return blasLib.do() }

// LoadNVRTC loads NVRTC (once per process).
func LoadNVRTC() error { return nvrtcLib.do() }

// DriverVersion returns the driver's CUDA version, e.g. 13000 for 13.0.
func DriverVersion() (int, error) {
	if err := LoadDriver(); err != nil {
		return 0, err
	}
	var v C.int
	err := check("cuDriverGetVersion", C.nrn_cuDriverGetVersion(&v))
	return int(v), err
}

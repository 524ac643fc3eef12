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
// Each library is looked for under its versioned sonames, newest first,
// before its bare name, on the dynamic loader's path and then in the
// folders where NVIDIA's installers and container runtime put it (see
// libDirs); Versions says which files and versions were loaded. Build
// compiles kernels once per process, to a CUBIN for the device, or to PTX
// when NVRTC is older than the device.
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
// $CUDA_HOME/lib64, $CUDA_PATH/lib64, /usr/local/cuda/lib64, and
// /usr/local/nvidia/lib64, where NVIDIA's container runtime puts the
// driver's libraries.
func libDirs() []string {
	var dirs []string
	for _, env := range []string{"CUDA_HOME", "CUDA_PATH"} {
		if d := os.Getenv(env); d != "" {
			dirs = append(dirs, filepath.Join(d, "lib64"))
		}
	}
	return append(dirs, "/usr/local/cuda/lib64", "/usr/local/nvidia/lib64")
}

// loader loads one library once, trying each name on the loader's path and
// then in libDirs.
type loader struct {
	mu    sync.Mutex
	done  bool
	err   error
	what  string
	names []string
	load  func(*C.char) *C.char
}

func (l *loader) do() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return l.err
	}
	l.done = true
	l.err = l.search()
	return l.err
}

// search tries each name on the loader's path, then in each of libDirs.
// The error keeps the most telling loader message: one that is not "No
// such file" (a missing symbol, a wrong architecture) when there is one.
func (l *loader) search() error {
	var why string
	try := func(path string) bool {
		cs := C.CString(path)
		defer C.free(unsafe.Pointer(cs))
		msg := l.load(cs)
		if msg == nil {
			return true
		}
		if m := C.GoString(msg); why == "" || !strings.Contains(m, "No such file") {
			why = m
		}
		return false
	}
	for _, n := range l.names {
		if try(n) {
			return nil
		}
	}
	dirs := libDirs()
	for _, d := range dirs {
		for _, n := range l.names {
			if p := filepath.Join(d, n); fileExists(p) && try(p) {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %s (tried %s on the loader's path and in %s): %s",
		ErrNotLoaded, l.what, strings.Join(l.names, ", "), strings.Join(dirs, ", "), why)
}

// loaded returns the error of the load attempted, or nil when none was
// (or it succeeded), without attempting one.
func (l *loader) loaded() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// The libraries' names, newest first, versioned sonames before the bare
// names: a bare libcublas.so is a development symlink, found only where a
// toolkit is installed, and may point at a library other than the one the
// loader would pick for programs. NVRTC 11.x's soname is libnvrtc.so.11.2
// (11.0 and 11.1: their own).
var (
	driverLib = loader{what: "the NVIDIA driver's libcuda", names: []string{"libcuda.so.1", "libcuda.so"},
		load: func(p *C.char) *C.char { return C.nrn_load_driver(p) }}
	blasLib = loader{what: "cuBLAS", names: []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"},
		load: func(p *C.char) *C.char { return C.nrn_load_cublas(p) }}
	nvrtcLib = loader{what: "NVRTC", names: []string{"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so.11.1",
		"libnvrtc.so.11.0", "libnvrtc.so"},
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

// Library is one of the CUDA libraries as this process loaded it.
type Library struct {
	Name    string // "driver", "cuBLAS" or "NVRTC"
	Path    string // the file the dynamic loader opened
	Version string // e.g. "13.0" (the driver's: the CUDA version it supports)
	Err     error  // why it is not loaded, or why its version is unknown
}

func (l Library) String() string {
	switch {
	case l.Path == "" && l.Err == nil:
		return l.Name + " not loaded"
	case l.Path == "":
		return fmt.Sprintf("%s not loaded: %v", l.Name, l.Err)
	case l.Err != nil:
		return fmt.Sprintf("%s (version unknown: %v) %s", l.Name, l.Err, l.Path)
	}
	return fmt.Sprintf("%s %s %s", l.Name, l.Version, l.Path)
}

// Libraries reports the driver, cuBLAS and NVRTC as this process loaded
// them: which file, which version. It loads nothing; a library not loaded
// yet has no Path and, if loading it failed, the error.
func Libraries() []Library {
	libs := []Library{{Name: "driver"}, {Name: "cuBLAS"}, {Name: "NVRTC"}}
	if libs[0].Path = C.GoString(C.nrn_driver_path()); libs[0].Path != "" {
		var v C.int
		if libs[0].Err = check("cuDriverGetVersion", C.nrn_cuDriverGetVersion(&v)); libs[0].Err == nil {
			libs[0].Version = fmt.Sprintf("%d.%d", v/1000, v%1000/10)
		}
	} else {
		libs[0].Err = driverLib.loaded()
	}
	if libs[1].Path = C.GoString(C.nrn_cublas_path()); libs[1].Path != "" {
		var part [3]C.int
		for i := range part {
			if libs[1].Err = checkBLAS("cublasGetProperty", C.nrn_cublasGetProperty(C.int(i), &part[i])); libs[1].Err != nil {
				break
			}
		}
		if libs[1].Err == nil {
			libs[1].Version = fmt.Sprintf("%d.%d.%d", part[0], part[1], part[2])
		}
	} else {
		libs[1].Err = blasLib.loaded()
	}
	if libs[2].Path = C.GoString(C.nrn_nvrtc_path()); libs[2].Path != "" {
		var major, minor C.int
		if libs[2].Err = checkNVRTC("nvrtcVersion", C.nrn_nvrtcVersion(&major, &minor)); libs[2].Err == nil {
			libs[2].Version = fmt.Sprintf("%d.%d", major, minor)
		}
	} else {
		libs[2].Err = nvrtcLib.loaded()
	}
	return libs
}

// Versions is Libraries in one line, for logs: e.g. "driver 13.0
// /usr/lib/x86_64-linux-gnu/libcuda.so.1; cuBLAS 13.0.0 ...; NVRTC 13.0 ...".
func Versions() string {
	var parts []string
	for _, l := range Libraries() {
		parts = append(parts, l.String())
	}
	return strings.Join(parts, "; ")
}

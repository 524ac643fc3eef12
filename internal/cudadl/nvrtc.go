//go:build cgo

package cudadl

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unsafe"
)

func checkNVRTC(call string, r C.nrn_result) error {
	if r == 0 {
		return nil
	}
	return &Error{Call: call, Code: int(r), Name: C.GoString(C.nrn_nvrtcErrorString(r))}
}

// NVRTCVersion returns NVRTC's version.
func NVRTCVersion() (major, minor int, err error) {
	if err := LoadNVRTC(); err != nil {
		return 0, 0, err
	}
	var ma, mi C.int
	err = checkNVRTC("nvrtcVersion", C.nrn_nvrtcVersion(&ma, &mi))
	return int(ma), int(mi), err
}

// SupportedArchs lists the virtual architectures NVRTC compiles for, as
// 10·major+minor (e.g. 90 for compute_90), ascending; nil when this NVRTC
// cannot say.
func SupportedArchs() ([]int, error) {
	if err := LoadNVRTC(); err != nil {
		return nil, err
	}
	var n C.int
	if r := C.nrn_nvrtcSupportedArchs(nil, &n); r == -1 {
		return nil, nil
	} else if err := checkNVRTC("nvrtcGetNumSupportedArchs", r); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	archs := make([]C.int, n)
	if err := checkNVRTC("nvrtcGetSupportedArchs", C.nrn_nvrtcSupportedArchs(&archs[0], &n)); err != nil {
		return nil, err
	}
	out := make([]int, len(archs))
	for i, a := range archs {
		out[i] = int(a)
	}
	sort.Ints(out)
	return out, nil
}

// CompileError is a kernel source that NVRTC rejected, with its log.
type CompileError struct {
	Name, Log string
	Err       error
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("compiling %s: %v\n%s", e.Name, e.Err, e.Log)
}
func (e *CompileError) Unwrap() error { return e.Err }

// Compile compiles CUDA C source to PTX with the given NVRTC options.
func Compile(source, name string, options ...string) (string, error) {
	ptx, err := compile(source, name, options, "nvrtcGetPTX", func(prog C.nrn_handle, n *C.size_t) C.nrn_result {
		return C.nrn_nvrtcGetPTXSize(prog, n)
	}, func(prog C.nrn_handle, buf *C.char) C.nrn_result { return C.nrn_nvrtcGetPTX(prog, buf) })
	return strings.TrimRight(string(ptx), "\x00"), err
}

// ErrNoCUBIN says this NVRTC cannot produce a CUBIN (it is older than
// 11.1): compile PTX instead.
var ErrNoCUBIN = errors.New("cudadl: this NVRTC has no nvrtcGetCUBIN")

// CompileCUBIN compiles CUDA C source to a CUBIN, machine code for the
// real architecture that the options name (--gpu-architecture=sm_XY).
func CompileCUBIN(source, name string, options ...string) ([]byte, error) {
	if err := LoadNVRTC(); err != nil {
		return nil, err
	}
	if C.nrn_nvrtcHasCUBIN() == 0 {
		return nil, ErrNoCUBIN
	}
	return compile(source, name, options, "nvrtcGetCUBIN", func(prog C.nrn_handle, n *C.size_t) C.nrn_result {
		return C.nrn_nvrtcGetCUBINSize(prog, n)
	}, func(prog C.nrn_handle, buf *C.char) C.nrn_result { return C.nrn_nvrtcGetCUBIN(prog, buf) })
}

// compile compiles source with options and returns the output that size
// and get read from the program (get named call in errors).
func compile(source, name string, options []string, call string,
	size func(C.nrn_handle, *C.size_t) C.nrn_result, get func(C.nrn_handle, *C.char) C.nrn_result) ([]byte, error) {
	if err := LoadNVRTC(); err != nil {
		return nil, err
	}
	src, cname := C.CString(source), C.CString(name)
	defer C.free(unsafe.Pointer(src))
	defer C.free(unsafe.Pointer(cname))
	var prog C.nrn_handle
	if err := checkNVRTC("nvrtcCreateProgram", C.nrn_nvrtcCreateProgram(&prog, src, cname)); err != nil {
		return nil, err
	}
	defer C.nrn_nvrtcDestroyProgram(&prog)
	opts := make([]*C.char, len(options))
	for i, o := range options {
		opts[i] = C.CString(o)
		defer C.free(unsafe.Pointer(opts[i]))
	}
	var optp **C.char
	if len(opts) > 0 {
		// C memory holding C pointers: an array in C memory, as cgo requires.
		arr := (**C.char)(C.malloc(C.size_t(len(opts)) * C.size_t(unsafe.Sizeof(uintptr(0)))))
		defer C.free(unsafe.Pointer(arr))
		copy(unsafe.Slice(arr, len(opts)), opts)
		optp = arr
	}
	if err := checkNVRTC("nvrtcCompileProgram", C.nrn_nvrtcCompileProgram(prog, C.int(len(opts)), optp)); err != nil {
		return nil, &CompileError{Name: name, Log: programLog(prog), Err: err}
	}
	var n C.size_t
	if err := checkNVRTC(call+"Size", size(prog, &n)); err != nil {
		return nil, err
	}
	buf := (*C.char)(C.malloc(max(n, 1)))
	defer C.free(unsafe.Pointer(buf))
	if err := checkNVRTC(call, get(prog, buf)); err != nil {
		return nil, err
	}
	return C.GoBytes(unsafe.Pointer(buf), C.int(n)), nil
}

func programLog(prog C.nrn_handle) string {
	var n C.size_t
	if C.nrn_nvrtcGetProgramLogSize(prog, &n) != 0 || n == 0 {
		return ""
	}
	buf := (*C.char)(C.malloc(n))
	defer C.free(unsafe.Pointer(buf))
	if C.nrn_nvrtcGetProgramLog(prog, buf) != 0 {
		return ""
	}
	return C.GoString(buf)
}

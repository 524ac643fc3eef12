//go:build cgo

package cudadl

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"sync/atomic"
	"unsafe"
)

// Device attributes (CUdevice_attribute).
const (
	attrMultiprocessors = 16
	attrMajor           = 75
	attrMinor           = 76
)

// DeviceCount returns the number of CUDA devices.
func DeviceCount() (int, error) {
	if err := LoadDriver(); err != nil {
		return 0, err
	}
	var n C.int
	err := check("cuDeviceGetCount", C.nrn_cuDeviceGetCount(&n))
	return int(n), err
}

// Device is one GPU with its primary context retained.
type Device struct {
	Ordinal      int
	Name         string
	Major, Minor int // compute capability
	SMs          int // multiprocessors
	dev          C.int
	ctx          C.nrn_handle
}

// RetainDevice returns device ordinal with its primary context retained (the
// context the CUDA runtime, and so cuBLAS, use). Release it when done.
func RetainDevice(ordinal int) (*Device, error) {
	n, err := DeviceCount()
	if err != nil {
		return nil, err
	}
	if ordinal < 0 || ordinal >= n {
		return nil, fmt.Errorf("cudadl: no CUDA device %d (this machine has %d)", ordinal, n)
	}
	d := &Device{Ordinal: ordinal}
	if err := check("cuDeviceGet", C.nrn_cuDeviceGet(&d.dev, C.int(ordinal))); err != nil {
		return nil, err
	}
	var name [256]C.char
	if err := check("cuDeviceGetName", C.nrn_cuDeviceGetName(&name[0], C.int(len(name)), d.dev)); err != nil {
		return nil, err
	}
	d.Name = C.GoString(&name[0])
	for _, a := range []struct {
		attr int
		v    *int
	}{{attrMajor, &d.Major}, {attrMinor, &d.Minor}, {attrMultiprocessors, &d.SMs}} {
		var v C.int
		if err := check("cuDeviceGetAttribute", C.nrn_cuDeviceGetAttribute(&v, C.int(a.attr), d.dev)); err != nil {
			return nil, err
		}
		*a.v = int(v)
	}
	if err := check("cuDevicePrimaryCtxRetain", C.nrn_cuDevicePrimaryCtxRetain(&d.ctx, d.dev)); err != nil {
		return nil, err
	}
	return d, nil
}

// MakeCurrent makes the device's context current on the calling OS thread.
func (d *Device) MakeCurrent() error { return check("cuCtxSetCurrent", C.nrn_cuCtxSetCurrent(d.ctx)) }

// Release releases the primary context retained by RetainDevice.
func (d *Device) Release() error {
	if d.ctx == nil {
		return nil
	}
	d.ctx = nil
	return check("cuDevicePrimaryCtxRelease", C.nrn_cuDevicePrimaryCtxRelease(d.dev))
}

// MemInfo returns the free and total device memory of the current context.
func MemInfo() (free, total uint64, err error) {
	var f, t C.size_t
	err = check("cuMemGetInfo", C.nrn_cuMemGetInfo(&f, &t))
	return uint64(f), uint64(t), err
}

// Ptr is a device address.
type Ptr uint64

// Alloc allocates bytes of device memory in the current context.
func Alloc(bytes int) (Ptr, error) {
	var p C.nrn_dptr
	if err := check("cuMemAlloc", C.nrn_cuMemAlloc(&p, C.size_t(bytes))); err != nil {
		return 0, fmt.Errorf("allocating %d bytes: %w", bytes, err)
	}
	return Ptr(p), nil
}

// Free frees device memory from Alloc; Free(0) does nothing.
func Free(p Ptr) error {
	if p == 0 {
		return nil
	}
	return check("cuMemFree", C.nrn_cuMemFree(C.nrn_dptr(p)))
}

// Stream is a CUDA stream.
type Stream struct{ h C.nrn_handle }

// NewStream creates a stream that does not synchronise with the legacy
// default stream.
func NewStream() (Stream, error) {
	var s Stream
	err := check("cuStreamCreate", C.nrn_cuStreamCreate(&s.h, 1)) // CU_STREAM_NON_BLOCKING
	return s, err
}

// Handle is the stream's CUstream (the same as a cudaStream_t), for
// libraries that queue work on it, such as NCCL.
func (s Stream) Handle() unsafe.Pointer { return unsafe.Pointer(s.h) }

// Sync waits for the work queued on s.
func (s Stream) Sync() error { return check("cuStreamSynchronize", C.nrn_cuStreamSynchronize(s.h)) }

// Destroy destroys s.
func (s Stream) Destroy() error {
	if s.h == nil {
		return nil
	}
	return check("cuStreamDestroy", C.nrn_cuStreamDestroy(s.h))
}

// CopyToDevice queues a copy of src into dst on s. From pageable host memory
// the call returns once src has been staged, so src may be reused at once.
func CopyToDevice(dst Ptr, src []float32, s Stream) error {
	if len(src) == 0 {
		return nil
	}
	return check("cuMemcpyHtoDAsync", C.nrn_cuMemcpyHtoDAsync(C.nrn_dptr(dst), unsafe.Pointer(&src[0]), C.size_t(4*len(src)), s.h))
}

// CopyToHost copies src into dst after the work queued on s; into pageable
// host memory the call returns once the copy is complete.
func CopyToHost(dst []float32, src Ptr, s Stream) error {
	if len(dst) == 0 {
		return nil
	}
	if err := check("cuMemcpyDtoHAsync", C.nrn_cuMemcpyDtoHAsync(unsafe.Pointer(&dst[0]), C.nrn_dptr(src), C.size_t(4*len(dst)), s.h)); err != nil {
		return err
	}
	return s.Sync()
}

// CopyOnDevice queues a copy of n float32s from src to dst on s.
func CopyOnDevice(dst, src Ptr, n int, s Stream) error {
	return check("cuMemcpyDtoDAsync", C.nrn_cuMemcpyDtoDAsync(C.nrn_dptr(dst), C.nrn_dptr(src), C.size_t(4*n), s.h))
}

// Fill queues setting n 32-bit words at dst to the bits of v on s.
func Fill(dst Ptr, v float32, n int, s Stream) error {
	bits := *(*uint32)(unsafe.Pointer(&v))
	return check("cuMemsetD32Async", C.nrn_cuMemsetD32Async(C.nrn_dptr(dst), C.uint(bits), C.size_t(n), s.h))
}

// Module is loaded device code.
type Module struct{ h C.nrn_handle }

// LoadModule loads a CUBIN, or PTX text, into the current context.
func LoadModule(image []byte) (Module, error) {
	c := cImage(image)
	defer cFree(c)
	var m Module
	err := check("cuModuleLoadData", C.nrn_cuModuleLoadData(&m.h, c))
	return m, err
}

// cImage copies image into C memory, followed by a NUL that ends PTX
// text: the driver reads an image whose length it is not told, so it must
// not be Go memory, which cgo forbids C to keep or read past.
func cImage(image []byte) unsafe.Pointer {
	c := C.malloc(C.size_t(len(image) + 1))
	b := unsafe.Slice((*byte)(c), len(image)+1)
	copy(b, image)
	b[len(image)] = 0
	return c
}

func cFree(p unsafe.Pointer) { C.free(p) }

// Function returns the kernel called name.
func (m Module) Function(name string) (Function, error) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var f Function
	if err := check("cuModuleGetFunction", C.nrn_cuModuleGetFunction(&f.h, m.h, cs)); err != nil {
		return f, fmt.Errorf("kernel %s: %w", name, err)
	}
	return f, nil
}

// Unload unloads m.
func (m Module) Unload() error {
	if m.h == nil {
		return nil
	}
	return check("cuModuleUnload", C.nrn_cuModuleUnload(m.h))
}

// Function is a kernel.
type Function struct{ h C.nrn_handle }

// Args is a kernel's argument list kept in C memory, built once and passed
// to every launch, so launching allocates nothing and hands the driver no
// Go pointers.
type Args struct {
	base unsafe.Pointer // n 8-byte value slots, then n pointers to them
	n    int
}

// NewArgs packs kernel arguments: Ptr and uint64 as 64-bit values, int,
// int32 and uint32 as 32-bit integers, float32 as floats.
func NewArgs(vals ...any) (*Args, error) {
	n := len(vals)
	a := &Args{base: C.calloc(C.size_t(max(n, 1)), 16), n: n}
	argsInUse.Add(1)
	slots := unsafe.Slice((*uint64)(a.base), n)
	ptrs := unsafe.Slice((*unsafe.Pointer)(unsafe.Add(a.base, 8*n)), n)
	for i, v := range vals {
		slot := unsafe.Pointer(&slots[i])
		switch v := v.(type) {
		case Ptr:
			*(*uint64)(slot) = uint64(v)
		case uint64:
			*(*uint64)(slot) = v
		case int:
			if int(int32(v)) != v {
				a.Free()
				return nil, fmt.Errorf("cudadl: kernel argument %d: %d does not fit an int", i, v)
			}
			*(*int32)(slot) = int32(v)
		case int32:
			*(*int32)(slot) = v
		case uint32:
			*(*uint32)(slot) = v
		case float32:
			*(*float32)(slot) = v
		default:
			a.Free()
			return nil, fmt.Errorf("cudadl: kernel argument %d has unsupported type %T", i, v)
		}
		ptrs[i] = slot
	}
	return a, nil
}

// Free releases the argument list.
func (a *Args) Free() {
	if a != nil && a.base != nil {
		C.free(a.base)
		a.base = nil
		argsInUse.Add(-1)
	}
}

// Params returns the pointers to the packed values, one per argument:
// what cuLaunchKernel takes as kernelParams. Each points at an 8-byte
// slot in C memory (a 32-bit value in its low half, the rest zero), so a
// binding that launches through an API of its own, such as
// gorgonia.org/cu's Function.Launch, which copies 8 bytes from each, can
// use the same packing. They are valid until Free.
func (a *Args) Params() []unsafe.Pointer {
	if a.n == 0 {
		return nil
	}
	return unsafe.Slice((*unsafe.Pointer)(unsafe.Add(a.base, 8*a.n)), a.n)
}

// argsInUse counts the argument lists allocated and not yet freed.
var argsInUse atomic.Int64

// ArgsInUse returns how many argument lists NewArgs has made that are not
// freed yet, so that tests can check that closing what prepared launches
// freed their arguments.
func ArgsInUse() int { return int(argsInUse.Load()) }

// Dim3 is a grid or block size.
type Dim3 struct{ X, Y, Z uint32 }

// Launch queues f on s with the given grid and block sizes, dynamic shared
// memory and arguments.
func Launch(f Function, grid, block Dim3, shared int, s Stream, a *Args) error {
	var params *unsafe.Pointer
	if a.n > 0 {
		params = (*unsafe.Pointer)(unsafe.Add(a.base, 8*a.n))
	}
	return check("cuLaunchKernel", C.nrn_cuLaunchKernel(f.h, C.uint(grid.X), C.uint(max(grid.Y, 1)), C.uint(max(grid.Z, 1)),
		C.uint(block.X), C.uint(max(block.Y, 1)), C.uint(max(block.Z, 1)), C.uint(shared), s.h, params))
}

// Graph is a captured CUDA graph, instantiated for launching.
type Graph struct {
	g, exec C.nrn_handle
}

// BeginCapture starts capturing the work queued on s by this thread into a
// graph (CU_STREAM_CAPTURE_MODE_THREAD_LOCAL).
func BeginCapture(s Stream) error {
	return check("cuStreamBeginCapture", C.nrn_cuStreamBeginCapture(s.h, 1))
}

// EndCapture ends the capture started by BeginCapture and instantiates the
// graph.
func EndCapture(s Stream) (*Graph, error) {
	g := &Graph{}
	if err := check("cuStreamEndCapture", C.nrn_cuStreamEndCapture(s.h, &g.g)); err != nil {
		return nil, err
	}
	if err := check("cuGraphInstantiate", C.nrn_cuGraphInstantiate(&g.exec, g.g)); err != nil {
		C.nrn_cuGraphDestroy(g.g)
		return nil, err
	}
	return g, nil
}

// Launch queues the graph on s.
func (g *Graph) Launch(s Stream) error {
	return check("cuGraphLaunch", C.nrn_cuGraphLaunch(g.exec, s.h))
}

// Destroy frees the graph.
func (g *Graph) Destroy() error {
	if g == nil || g.g == nil {
		return nil
	}
	err1 := check("cuGraphExecDestroy", C.nrn_cuGraphExecDestroy(g.exec))
	err2 := check("cuGraphDestroy", C.nrn_cuGraphDestroy(g.g))
	g.g, g.exec = nil, nil
	if err1 != nil {
		return err1
	}
	return err2
}

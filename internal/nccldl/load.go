//go:build cgo

package nccldl

/*
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include <string.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/neurone-dl/neurone/internal/dlsearch"
)

var (
	loadOnce sync.Once
	loadErr  error
)

// Load loads NCCL (once per process).
func Load() error {
	loadOnce.Do(func() { loadErr = search() })
	return loadErr
}

// search tries the sonames on the loader's path first, and only then asks
// python3 for its site folders (which takes a moment).
func search() error {
	load := func(p string) string {
		cs := C.CString(p)
		defer C.free(unsafe.Pointer(cs))
		if msg := C.nrn_nccl_load(cs); msg != nil {
			return C.GoString(msg)
		}
		return ""
	}
	if dlsearch.First("libnccl", sonames, ErrNotLoaded, load) == nil {
		return nil
	}
	return dlsearch.First("libnccl", candidates(), ErrNotLoaded, load)
}

func check(call string, r C.int) error {
	if r == 0 {
		return nil
	}
	return &Error{Call: call, Code: int(r), Message: C.GoString(C.nrn_ncclGetErrorString(r))}
}

// Path is the file NCCL was loaded from, "" before Load succeeds.
func Path() string { return C.GoString(C.nrn_nccl_path()) }

// Version is NCCL's version, e.g. "2.27.3".
func Version() (string, error) {
	if err := Load(); err != nil {
		return "", err
	}
	var v C.int
	if err := check("ncclGetVersion", C.nrn_ncclGetVersion(&v)); err != nil {
		return "", err
	}
	if v < 10000 { // before 2.9: major·1000 + minor·100 + patch
		return fmt.Sprintf("%d.%d.%d", v/1000, v%1000/100, v%100), nil
	}
	return fmt.Sprintf("%d.%d.%d", v/10000, v%10000/100, v%100), nil
}

// NewID makes a unique id (ncclGetUniqueId); one rank makes it and every
// rank of the communicator is given it.
func NewID() (ID, error) {
	var id ID
	if err := Load(); err != nil {
		return id, err
	}
	var c C.nrn_nccl_id
	if err := check("ncclGetUniqueId", C.nrn_ncclGetUniqueId(&c)); err != nil {
		return id, err
	}
	C.memcpy(unsafe.Pointer(&id[0]), unsafe.Pointer(&c), IDBytes)
	return id, nil
}

// Comm is a communicator of NCCL (ncclComm_t) on the current device.
type Comm struct{ h unsafe.Pointer }

// InitRank joins rank rank of nranks to the communicator of id, on the
// device current in the calling thread (ncclCommInitRank); every rank
// calls it together.
func InitRank(nranks int, id ID, rank int) (*Comm, error) {
	if err := Load(); err != nil {
		return nil, err
	}
	var c C.nrn_nccl_id
	C.memcpy(unsafe.Pointer(&c), unsafe.Pointer(&id[0]), IDBytes)
	var h unsafe.Pointer
	if err := check("ncclCommInitRank", C.nrn_ncclCommInitRank(&h, C.int(nranks), &c, C.int(rank))); err != nil {
		return nil, err
	}
	return &Comm{h: h}, nil
}

// AllReduce reduces count float32s in place at device address buf with op
// (Sum, Avg) over the ranks, queued on stream (a cudaStream_t / CUstream).
func (c *Comm) AllReduce(buf uint64, count, op int, stream unsafe.Pointer) error {
	return check("ncclAllReduce", C.nrn_ncclAllReduce(C.uint64_t(buf), C.size_t(count), C.int(op), c.h, stream))
}

// Broadcast copies count float32s at device address buf from root to
// every rank, queued on stream.
func (c *Comm) Broadcast(buf uint64, count, root int, stream unsafe.Pointer) error {
	return check("ncclBroadcast", C.nrn_ncclBroadcast(C.uint64_t(buf), C.size_t(count), C.int(root), c.h, stream))
}

// GroupStart begins a group: the collectives until GroupEnd are launched
// together (ncclGroupStart).
func GroupStart() error { return check("ncclGroupStart", C.nrn_ncclGroupStart()) }

// GroupEnd launches the group's collectives (ncclGroupEnd).
func GroupEnd() error { return check("ncclGroupEnd", C.nrn_ncclGroupEnd()) }

// AsyncError is the communicator's asynchronous error (a peer that failed),
// nil when there is none.
func (c *Comm) AsyncError() error {
	var r C.int
	if err := check("ncclCommGetAsyncError", C.nrn_ncclCommGetAsyncError(c.h, &r)); err != nil {
		return err
	}
	return check("ncclCommGetAsyncError (async)", r)
}

// Destroy frees the communicator after its work (ncclCommDestroy).
func (c *Comm) Destroy() error {
	if c == nil || c.h == nil {
		return nil
	}
	err := check("ncclCommDestroy", C.nrn_ncclCommDestroy(c.h))
	c.h = nil
	return err
}

// Abort frees the communicator at once, ending its collectives in progress
// (ncclCommAbort).
func (c *Comm) Abort() error {
	if c == nil || c.h == nil {
		return nil
	}
	err := check("ncclCommAbort", C.nrn_ncclCommAbort(c.h))
	c.h = nil
	return err
}

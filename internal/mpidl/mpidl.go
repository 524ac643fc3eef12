//go:build cgo

package mpidl

/*
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"strings"
	"sync"
	"unsafe"

	"github.com/neurone-dl/neurone/internal/dlsearch"
)

var (
	loadOnce sync.Once
	loadErr  error
)

// Load loads Open MPI's libmpi (once per process), looking for libmpi.so.40
// and then libmpi.so on the dynamic loader's path and in the folders
// Debian and Open MPI's own installs use. It initialises nothing.
func Load() error {
	loadOnce.Do(func() { loadErr = search() })
	return loadErr
}

func search() error {
	return dlsearch.First("Open MPI's libmpi", candidates(), ErrNotLoaded, func(p string) string {
		cs := C.CString(p)
		defer C.free(unsafe.Pointer(cs))
		if msg := C.nrn_mpi_load(cs); msg != nil {
			return C.GoString(msg)
		}
		return ""
	})
}

func check(call string, r C.int) error {
	if r == 0 {
		return nil
	}
	var buf [320]C.char
	C.nrn_mpi_error_string(r, &buf[0], C.int(len(buf)))
	return &Error{Call: call, Code: int(r), Message: C.GoString(&buf[0])}
}

// Path is the file libmpi was loaded from, "" before Load succeeds.
func Path() string { return C.GoString(C.nrn_mpi_path()) }

// Version is the library's version text (MPI_Get_library_version's first
// line), e.g. "Open MPI v4.1.4, package: Debian OpenMPI, ...".
func Version() string {
	var buf [320]C.char
	C.nrn_mpi_version(&buf[0], C.int(len(buf)))
	s, _, _ := strings.Cut(C.GoString(&buf[0]), "\n")
	return s
}

// Init initialises MPI with the thread level required (once; an MPI
// already initialised is left as it is) and makes errors on
// MPI_COMM_WORLD return codes instead of aborting the job. It returns the
// thread level provided.
func Init(required int) (int, error) {
	if err := Load(); err != nil {
		return 0, err
	}
	var done C.int
	if err := check("MPI_Initialized", C.nrn_mpi_initialized(&done)); err != nil {
		return 0, err
	}
	provided := C.int(required)
	if done == 0 {
		if err := check("MPI_Init_thread", C.nrn_mpi_init_thread(C.int(required), &provided)); err != nil {
			return 0, err
		}
	}
	return int(provided), check("MPI_Comm_set_errhandler", C.nrn_mpi_set_errors_return())
}

// Finalize ends MPI; call it from the thread that called Init.
func Finalize() error { return check("MPI_Finalize", C.nrn_mpi_finalize()) }

// Rank is this process's rank in MPI_COMM_WORLD.
func Rank() (int, error) {
	var r C.int
	err := check("MPI_Comm_rank", C.nrn_mpi_rank(&r))
	return int(r), err
}

// Size is the number of processes in MPI_COMM_WORLD.
func Size() (int, error) {
	var n C.int
	err := check("MPI_Comm_size", C.nrn_mpi_size(&n))
	return int(n), err
}

// maxCount is the most elements one MPI call moves (its count is a C int).
const maxCount = 1 << 30

// AllreduceSum replaces buf, on every rank, by the element-wise sum of
// every rank's buf (MPI_Allreduce, MPI_IN_PLACE, MPI_FLOAT, MPI_SUM).
func AllreduceSum(buf []float32) error {
	for len(buf) > 0 {
		n := min(len(buf), maxCount)
		if err := check("MPI_Allreduce", C.nrn_mpi_allreduce_sum_float((*C.float)(unsafe.Pointer(&buf[0])), C.int(n))); err != nil {
			return err
		}
		buf = buf[n:]
	}
	return nil
}

// Bcast replaces buf, on every rank, by root's (MPI_Bcast of MPI_BYTE).
func Bcast(buf []byte, root int) error {
	for len(buf) > 0 {
		n := min(len(buf), maxCount)
		if err := check("MPI_Bcast", C.nrn_mpi_bcast_bytes(unsafe.Pointer(&buf[0]), C.int(n), C.int(root))); err != nil {
			return err
		}
		buf = buf[n:]
	}
	return nil
}

// Barrier returns once every rank has called it (MPI_Barrier).
func Barrier() error { return check("MPI_Barrier", C.nrn_mpi_barrier()) }

// Abort asks the MPI runtime to end every process of the job with code
// (MPI_Abort on MPI_COMM_WORLD); it normally does not return.
func Abort(code int) error { return check("MPI_Abort", C.nrn_mpi_abort(C.int(code))) }

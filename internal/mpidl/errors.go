// Package mpidl is Neurone's binding to Open MPI, loaded at run time with
// dlopen, as internal/cudadl loads CUDA: a binary built with it starts on
// machines without MPI, and only Load fails there, with ErrNotLoaded.
//
// The binding is the few calls data-parallel training needs: initialise
// and finalise, rank and size of MPI_COMM_WORLD, an in-place sum of float32
// buffers over every rank, a broadcast of bytes, a barrier and abort. MPI
// errors are returned as *Error values naming the call: Init sets
// MPI_ERRORS_RETURN on MPI_COMM_WORLD, so a failed collective (a peer that
// died) returns a code instead of aborting the job from inside the
// library.
//
// Only Open MPI is supported (soname libmpi.so.40, Debian's
// libopenmpi3): its handles are pointers and its predefined handles
// exported globals, resolved with dlsym; MPICH's are integer constants
// compiled into programs, which dlopen cannot reach.
//
// MPI calls are not made thread-safe here: callers call everything from
// one OS thread (package backend/comm runs them on one locked goroutine)
// except Abort.
package mpidl

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrNotLoaded says libmpi could not be loaded; the wrapping error names
// the files tried and why.
var ErrNotLoaded = errors.New("mpidl: Open MPI not found")

// Thread levels of Init (MPI_THREAD_*).
const (
	ThreadSingle     = 0
	ThreadFunneled   = 1
	ThreadSerialized = 2
	ThreadMultiple   = 3
)

// Error is a failed MPI call.
type Error struct {
	Call    string // e.g. "MPI_Allreduce"
	Code    int    // the MPI error code
	Message string // MPI_Error_string's text
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (MPI error %d)", e.Call, e.Message, e.Code)
}

// candidates are the files Load tries, in order: the soname on the
// loader's path, then in $MPI_HOME/lib and Debian's and Open MPI's
// default folders, then the development symlink.
func candidates() []string {
	names := []string{"libmpi.so.40"}
	var dirs []string
	if d := os.Getenv("MPI_HOME"); d != "" {
		dirs = append(dirs, filepath.Join(d, "lib"))
	}
	dirs = append(dirs, "/usr/lib/x86_64-linux-gnu/openmpi/lib", "/usr/lib64/openmpi/lib", "/usr/local/lib", "/opt/openmpi/lib")
	for _, d := range dirs {
		names = append(names, filepath.Join(d, "libmpi.so.40"))
	}
	return append(names, "libmpi.so")
}

// Package nccldl is Neurone's binding to NCCL, NVIDIA's collective
// communication library, loaded at run time with dlopen as internal/cudadl
// loads CUDA: a binary built with it starts on machines without NCCL, and
// only Load fails there, with ErrNotLoaded.
//
// The binding is what data-parallel training on GPUs needs: a unique id,
// a communicator of one rank among n, in-place all-reduces (sum, average)
// and broadcasts of float32 device buffers on a CUDA stream, grouped so
// that many buffers make one launch, and teardown.
//
// NCCL is looked for as libnccl.so.2, then libnccl.so, on the dynamic
// loader's path, then in the CUDA folders cudadl searches and in Python's
// site-packages/nvidia/nccl/lib, where PyTorch's pip packages put it (the
// site folders are those python3 reports, found at run time, and the
// usual ones).
package nccldl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ErrNotLoaded says NCCL could not be loaded; the wrapping error names the
// files tried and why.
var ErrNotLoaded = errors.New("nccldl: NCCL not found")

// Reduction operations (ncclRedOp_t).
const (
	Sum = 0
	Avg = 4 // NCCL 2.10 and later
)

// IDBytes is the size of a unique id (NCCL_UNIQUE_ID_BYTES).
const IDBytes = 128

// ID is the unique id one rank makes and every rank of a communicator is
// given (ncclUniqueId).
type ID [IDBytes]byte

// Error is a failed NCCL call.
type Error struct {
	Call    string // e.g. "ncclAllReduce"
	Code    int    // ncclResult_t
	Message string // ncclGetErrorString's text
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (NCCL result %d)", e.Call, e.Message, e.Code)
}

// sonames are NCCL's names for the dynamic loader's own search.
var sonames = []string{"libnccl.so.2", "libnccl.so"}

// candidates are the files Load tries, in order: the sonames, then
// libnccl.so.2 in each folder NCCL may be installed in.
func candidates() []string {
	var dirs []string
	for _, env := range []string{"NCCL_HOME", "CUDA_HOME", "CUDA_PATH"} {
		if d := os.Getenv(env); d != "" {
			dirs = append(dirs, filepath.Join(d, "lib"), filepath.Join(d, "lib64"))
		}
	}
	dirs = append(dirs, "/usr/local/cuda/lib64", "/usr/lib/x86_64-linux-gnu")
	for _, site := range siteDirs() {
		dirs = append(dirs, filepath.Join(site, "nvidia", "nccl", "lib"))
	}
	files, seen := append([]string(nil), sonames...), map[string]bool{}
	for _, d := range dirs {
		if f := filepath.Join(d, "libnccl.so.2"); !seen[f] {
			files, seen[f] = append(files, f), true
		}
	}
	return files
}

// siteDirs are Python's package folders: those python3 reports (site
// packages of the interpreter and the user), then the usual places.
func siteDirs() []string {
	var dirs []string
	if py, err := exec.LookPath("python3"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, py, "-c",
			"import site\nfor d in site.getsitepackages()+[site.getusersitepackages()]: print(d)").Output()
		if err == nil {
			dirs = append(dirs, strings.Fields(string(out))...)
		}
	}
	for _, pattern := range []string{"/usr/local/lib/python3*/*-packages", "/usr/lib/python3*/*-packages",
		os.Getenv("VIRTUAL_ENV") + "/lib/python3*/site-packages"} {
		m, _ := filepath.Glob(pattern)
		dirs = append(dirs, m...)
	}
	return dirs
}

package nccldl

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestLoad loads NCCL where it is installed (the GPU machine's PyTorch
// packages) and checks the error elsewhere: no NCCL is no failure, since
// only CUDA programs use it.
func TestLoad(t *testing.T) {
	if err := Load(); err != nil {
		if !errors.Is(err, ErrNotLoaded) {
			t.Fatalf("Load: %v, want ErrNotLoaded", err)
		}
		if !strings.Contains(err.Error(), "libnccl.so.2") {
			t.Errorf("Load's error does not name libnccl.so.2: %v", err)
		}
		t.Skipf("NCCL not installed: %v", err)
	}
	v, err := Version()
	if err != nil || !strings.HasPrefix(v, "2.") {
		t.Errorf("Version = %q, %v; want 2.x", v, err)
	}
	t.Logf("NCCL %s from %s", v, Path())
}

// TestCandidates: the search includes Python's nvidia/nccl/lib folders
// (where PyTorch's pip packages put NCCL) after the soname on the loader's
// path.
func TestCandidates(t *testing.T) {
	c := candidates()
	if c[0] != "libnccl.so.2" {
		t.Errorf("first candidate %q, want the soname libnccl.so.2", c[0])
	}
	if !slices.ContainsFunc(c, func(p string) bool { return strings.HasSuffix(p, "/nvidia/nccl/lib/libnccl.so.2") }) {
		t.Skipf("no Python site folder found here, so no nvidia/nccl/lib candidate: %v", c)
	}
}

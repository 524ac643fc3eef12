//go:build !cuda

package cuda_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	_ "github.com/neurone-dl/neurone/backend/cpu"
	_ "github.com/neurone-dl/neurone/backend/cuda"
)

func TestCPUOnlyBuild(t *testing.T) {
	for _, name := range []string{"cuda", "cuda:1"} {
		_, err := backend.Open(name)
		if !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), "cuda") || !strings.Contains(err.Error(), "built in") {
			t.Errorf("Open(%q) = %v, want ErrUnavailable saying CUDA is not built in", name, err)
		}
	}
	b, err := backend.Open("auto")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.Name(), "cpu") || !strings.Contains(backend.Note(b), "CUDA") {
		t.Errorf("auto opened %q with note %q, want the CPU and a note about CUDA", b.Name(), backend.Note(b))
	}
	if _, err := backend.Open("tpu"); !errors.Is(err, backend.ErrUnavailable) {
		t.Errorf("Open(tpu) = %v", err)
	}
	if _, err := backend.Open("cuda:x"); err == nil {
		t.Error("Open(cuda:x) succeeded")
	}
}

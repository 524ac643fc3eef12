//go:build cgo

package cuda

import (
	"fmt"
	"testing"
)

// The backend prints as its name, so that fmt.Println(be) says what runs.
func TestStringIsName(t *testing.T) {
	b := &Backend{name: "cuda:0 (NVIDIA H200, compute 9.0)"}
	if got, want := fmt.Sprint(b), b.Name(); got != want {
		t.Errorf("fmt.Sprint(backend) = %q, want its Name() %q", got, want)
	}
}

//go:build cgo

package cuda

import (
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/internal/cudadl"
)

// The kernels compile with NVRTC wherever NVRTC is installed, GPU or not,
// for every architecture from Volta to Hopper, and define every kernel the
// backend looks up.
func TestKernelsCompile(t *testing.T) {
	if err := cudadl.LoadNVRTC(); err != nil {
		t.Skipf("NVRTC is not installed here: %v", err)
	}
	for _, cc := range []int{70, 80, 90} {
		ptx, err := kernelPTX(cc)
		if err != nil {
			t.Fatalf("sm_%d: %v", cc, err)
		}
		for _, name := range kernelNames {
			if !strings.Contains(ptx, ".entry "+name+"(") {
				t.Errorf("sm_%d: no kernel %s in the PTX", cc, name)
			}
		}
	}
}

//go:build !cgo

package cuda

import (
	"fmt"

	"github.com/neurone-dl/neurone/backend"
)

func init() {
	backend.Register("cuda", func(index int) (backend.Backend, error) {
		return nil, fmt.Errorf("%w: cuda:%d: this binary was built without cgo (CGO_ENABLED=0), which the CUDA backend needs; rebuild with cgo or use --device cpu", backend.ErrUnavailable, index)
	})
	backend.Register("cuda-emu", func(int) (backend.Backend, error) {
		return nil, fmt.Errorf("%w: cuda-emu: this binary was built without cgo (CGO_ENABLED=0), which the CUDA backend, emulated or not, needs; rebuild with cgo", backend.ErrUnavailable)
	})
}

//go:build !cuda

package cuda

import (
	"fmt"

	"github.com/neurone-dl/neurone/backend"
)

func init() {
	backend.Register("cuda", func(index int) (backend.Backend, error) {
		return nil, fmt.Errorf("%w: cuda:%d: this binary has no CUDA backend built in (the CUDA backend is not available yet); use --device cpu or auto", backend.ErrUnavailable, index)
	})
}

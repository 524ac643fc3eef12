//go:build !cgo

package blas

import (
	"fmt"

	"gonum.org/v1/gonum/blas/gonum"
)

// openBLAS is never loaded without cgo, which dlopen needs.
type openBLAS struct{ gonum.Implementation }

func loadOpenBLAS() (*openBLAS, error) {
	return nil, fmt.Errorf("%w: this binary was built without cgo (CGO_ENABLED=0), which dlopen needs", errNoOpenBLAS)
}

func (*openBLAS) version() string { return "" }
func (*openBLAS) core() string    { return "" }
func (*openBLAS) threads() int    { return 0 }
func (*openBLAS) setThreads(int)  {}

//go:build !openblas

package blas

import "gonum.org/v1/gonum/blas/gonum"

var impl = gonum.Implementation{}

const name = "gonum (pure Go; build with -tags openblas for OpenBLAS)"

// gonum's BLAS has no thread pool of its own: it runs on goroutines.
func threads() int { return 0 }

func setThreads(int) {}

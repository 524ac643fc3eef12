// Package blas selects the BLAS implementation the CPU kernels call. The
// choice is made at build time: with the build tag "openblas" the kernels
// call OpenBLAS through gonum.org/v1/netlib (cgo, linked with -lopenblas);
// without it they call gonum's pure-Go BLAS. This is the only place in the
// project where that choice is made.
package blas

import gonumblas "gonum.org/v1/gonum/blas"

// Implementation is a BLAS for both float32 and float64.
type Implementation interface {
	gonumblas.Float32
	gonumblas.Float64
}

// Impl is the BLAS every CPU kernel uses.
var Impl Implementation = impl

// Name says which BLAS Impl is, for start-up messages.
const Name = name

//go:build openblas

package blas

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int);
// int openblas_get_num_threads(void);
import "C"

import "gonum.org/v1/netlib/blas/netlib"

var impl = netlib.Implementation{}

const name = "OpenBLAS"

func threads() int { return int(C.openblas_get_num_threads()) }

func setThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

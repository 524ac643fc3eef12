//go:build cgo

package cuda

import (
	"slices"
	"time"

	"github.com/neurone-dl/neurone/internal/cudadl"
)

// SGEMMRate measures the device's matrix-multiply rate in GFLOP/s on an
// n×n×n SGEMM (the median of several timed products), with or without
// TF32, the reference the benchmarks report their fraction of peak against.
// It runs on a device like a program's, so it measures the cuBLAS calls of
// the binding in use.
func (b *Backend) SGEMMRate(n int, tf32 bool) (float64, error) {
	leave, err := b.enter()
	if err != nil {
		return 0, err
	}
	defer leave()
	dev, err := b.newDevice(tf32)
	if err != nil {
		return 0, err
	}
	defer dev.close()
	var m [3]cudadl.Ptr
	for i := range m {
		if m[i], err = dev.alloc(n * n); err != nil {
			return 0, err
		}
		defer dev.free(m[i])
		if err := dev.fill(m[i], 0.5, n*n); err != nil {
			return 0, err
		}
	}
	product := gemmCall{m: n, n: n, k: n, a: region{buf: 0}, b: region{buf: 1}, c: region{buf: 2}, lda: n, ldb: n, ldc: n, batch: 1}
	at := func(r region) cudadl.Ptr { return m[r.buf] }
	gemm := func() error { return dev.gemm(product, at) }
	for range 3 { // warm up
		if err := gemm(); err != nil {
			return 0, err
		}
	}
	if err := dev.sync(); err != nil {
		return 0, err
	}
	var rates []float64
	for range 5 {
		start := time.Now()
		const reps = 10
		for range reps {
			if err := gemm(); err != nil {
				return 0, err
			}
		}
		if err := dev.sync(); err != nil {
			return 0, err
		}
		rates = append(rates, reps*2*float64(n)*float64(n)*float64(n)/time.Since(start).Seconds()/1e9)
	}
	slices.Sort(rates)
	return rates[len(rates)/2], nil
}

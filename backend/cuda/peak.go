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
func (b *Backend) SGEMMRate(n int, tf32 bool) (float64, error) {
	leave, err := b.enter()
	if err != nil {
		return 0, err
	}
	defer leave()
	s, err := cudadl.NewStream()
	if err != nil {
		return 0, err
	}
	defer s.Destroy()
	h, err := cudadl.NewBLAS(s)
	if err != nil {
		return 0, err
	}
	defer h.Destroy()
	if err := h.SetTF32(tf32); err != nil {
		return 0, err
	}
	var m [3]cudadl.Ptr
	for i := range m {
		if m[i], err = cudadl.Alloc(4 * n * n); err != nil {
			return 0, err
		}
		defer cudadl.Free(m[i])
		if err := cudadl.Fill(m[i], 0.5, n*n, s); err != nil {
			return 0, err
		}
	}
	gemm := func() error { return h.Sgemm(false, false, n, n, n, 1, m[0], n, m[1], n, 0, m[2], n) }
	for range 3 { // warm up
		if err := gemm(); err != nil {
			return 0, err
		}
	}
	if err := s.Sync(); err != nil {
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
		if err := s.Sync(); err != nil {
			return 0, err
		}
		rates = append(rates, reps*2*float64(n)*float64(n)*float64(n)/time.Since(start).Seconds()/1e9)
	}
	slices.Sort(rates)
	return rates[len(rates)/2], nil
}

package cpukernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// ForChunks calls f(c, lo, hi) for the chunks c of [0, n) of size chunk
// (the last one may be shorter), spread over up to GOMAXPROCS goroutines
// that take the next chunk when done with one. The convolution and pooling
// kernels loop over images (or planes) this way: their small products run
// on the calling thread (gemmColumns), so without it a convolutional
// network would train on one core. Which chunk a goroutine takes varies
// from run to run; f must write only what its chunk owns.
func ForChunks(n, chunk int, f func(c, lo, hi int)) {
	chunks := (n + chunk - 1) / chunk
	workers := min(runtime.GOMAXPROCS(0), chunks)
	if workers <= 1 {
		for c := range chunks {
			f(c, c*chunk, min(n, (c+1)*chunk))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				f(c, c*chunk, min(n, (c+1)*chunk))
			}
		})
	}
	wg.Wait()
}

package cpukernels

import (
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
)

// chunker is the work of a kernel that splits into chunks: chunk(c, lo,
// hi) does chunk c, the items lo ≤ i < hi.
type chunker interface{ chunk(c, lo, hi int) }

// ForChunks calls f(c, lo, hi) for the chunks c of [0, n) of size chunk
// (the last one may be shorter), spread over up to GOMAXPROCS goroutines
// that take the next chunk when done with one. The convolution and pooling
// kernels loop over images (or planes) this way: their small products run
// on the calling thread (gemmColumns), so without it a convolutional
// network would train on one core. Which chunk a goroutine takes varies
// from run to run; f must write only what its chunk owns.
//
// A closure f is moved to the heap; the kernels of a training step call
// forChunks with pooled jobs instead, which allocates nothing.
func ForChunks(n, chunk int, f func(c, lo, hi int)) { forChunks(n, chunk, funcChunker(f)) }

// funcChunker is a function as a chunker.
type funcChunker func(c, lo, hi int)

func (f funcChunker) chunk(c, lo, hi int) { f(c, lo, hi) }

// forChunks is ForChunks for a chunker: the calling goroutine and the
// idle workers of the package's pool take chunks until none is left.
func forChunks(n, chunk int, j chunker) {
	chunks := (n + chunk - 1) / chunk
	helpers := min(runtime.GOMAXPROCS(0), chunks) - 1
	if helpers <= 0 {
		for c := range chunks {
			j.chunk(c, c*chunk, min(n, (c+1)*chunk))
		}
		return
	}
	d := dispatches.Get().(*dispatch)
	d.job, d.n, d.size, d.chunks = j, n, chunk, chunks
	d.next.Store(0)
	work := startWorkers()
	d.wg.Add(helpers)
	for range helpers {
		work <- d
	}
	d.drain()
	d.wg.Wait()
	d.job = nil
	dispatches.Put(d)
}

// dispatch is one forChunks call as its helpers see it: the job, its
// chunks, the next chunk to take and the helpers still at work.
type dispatch struct {
	job             chunker
	n, size, chunks int
	next            atomic.Int64
	wg              sync.WaitGroup
}

// drain takes chunks until none is left.
func (d *dispatch) drain() {
	for {
		c := int(d.next.Add(1) - 1)
		if c >= d.chunks {
			return
		}
		d.job.chunk(c, c*d.size, min(d.n, (c+1)*d.size))
	}
}

var dispatches = sync.Pool{New: func() any { return new(dispatch) }}

// The pool's workers live as long as the program, so that a training step
// starts no goroutine. They never wait on anything but the work queue (a
// job's chunks call no forChunks), so callers on several goroutines share
// them without deadlock.
var (
	workersOnce sync.Once
	workQueue   chan *dispatch
)

// startWorkers starts GOMAXPROCS−1 workers on the first call and returns
// their queue.
func startWorkers() chan *dispatch {
	workersOnce.Do(func() {
		n := max(runtime.GOMAXPROCS(0)-1, 1)
		workQueue = make(chan *dispatch, 4*n)
		for range n {
			go func() {
				for d := range workQueue {
					d.drain()
					d.wg.Done()
				}
			}()
		}
	})
	return workQueue
}

// jobPools hold the kernels' jobs by type (a *sync.Pool per reflect.Type),
// so that a kernel call reuses a job instead of allocating one.
var jobPools sync.Map

// getJob returns a zeroed *J from its type's pool; hand it back with putJob.
func getJob[J any]() *J {
	return jobPool[J]().Get().(*J)
}

// putJob zeroes j, dropping the slices it holds, and returns it to its pool.
func putJob[J any](j *J) {
	var zero J
	*j = zero
	jobPool[J]().Put(j)
}

func jobPool[J any]() *sync.Pool {
	key := reflect.TypeFor[J]()
	if p, ok := jobPools.Load(key); ok {
		return p.(*sync.Pool)
	}
	p, _ := jobPools.LoadOrStore(key, &sync.Pool{New: func() any { return new(J) }})
	return p.(*sync.Pool)
}

// launch does the chunks of [0, n) of job, a kernel's call, in parallel
// (forChunks), from a pooled copy of it.
func launch[J any, P interface {
	*J
	chunker
}](n, chunk int, job J) {
	j := P(getJob[J]())
	*j = job
	forChunks(n, chunk, j)
	putJob[J](j)
}

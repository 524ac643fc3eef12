package cpu

import "runtime"

// parallelMin is the fewest elements each part of a split element-wise
// pass gets: below it, handing work to another goroutine costs more than
// the work (about 1 ns per element). The hand-off is dearer than on an idle
// machine, because between two matrix products OpenBLAS's threads keep the
// cores busy waiting for the next one: in MLP6 inference at batch 64 on 2
// cores, a 64×512 bias+ReLU pass took a median 50–80 µs split in two and
// 33–60 µs on the calling goroutine alone.
const parallelMin = 1 << 15

// job is work that splits into parts: runPart(i, n) does part i of n.
type job interface{ runPart(part, parts int) }

type task struct {
	job         job
	part, parts int
}

// pool runs the parts of a job on worker goroutines that live as long as
// the program, so a step starts no goroutine and allocates nothing.
type pool struct {
	workers int
	work    chan task
	done    chan struct{}
}

// newPool starts one worker per core beyond the caller's; with one core it
// starts none and everything runs on the caller's goroutine.
func newPool() *pool {
	p := &pool{workers: runtime.GOMAXPROCS(0)}
	if p.workers > 1 {
		work, done := make(chan task, p.workers), make(chan struct{}, p.workers)
		p.work, p.done = work, done
		for range p.workers - 1 {
			go func() {
				for t := range work {
					t.job.runPart(t.part, t.parts)
					done <- struct{}{}
				}
			}()
		}
	}
	return p
}

// parts returns how many parts a pass over n elements is worth splitting into.
func (p *pool) parts(n int) int {
	return max(1, min(p.workers, n/parallelMin))
}

// run does the parts of j, part 0 on the caller's goroutine, and returns
// when all are done.
func (p *pool) run(j job, parts int) {
	if parts <= 1 || p.work == nil {
		for i := range parts {
			j.runPart(i, parts)
		}
		return
	}
	for i := 1; i < parts; i++ {
		p.work <- task{j, i, parts}
	}
	j.runPart(0, parts)
	for i := 1; i < parts; i++ {
		<-p.done
	}
}

// close stops the workers.
func (p *pool) close() {
	if p.work != nil {
		close(p.work)
		p.work = nil
	}
}

// span returns the part'th of parts near-equal ranges of [0, n).
func span(n, part, parts int) (lo, hi int) {
	return n * part / parts, n * (part + 1) / parts
}

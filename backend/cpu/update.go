package cpu

import (
	"runtime"

	"github.com/neurone-dl/neurone/graph/optim"
)

// minChunk is the fewest parameter values worth handing to another core.
const minChunk = 1 << 16

// chunk is a contiguous range of one parameter and of its optimizer slots.
type chunk struct {
	param  int // index into the program's parameters
	lo, hi int
	values []float32   // param[lo:hi]
	slots  [][]float32 // each slot[lo:hi]
	grad   []float32   // grad[lo:hi], set before each step
	sq     float64     // Σ grad², when the optimizer clips
}

// updater applies the optimizer to every parameter, with large parameters
// split into chunks that worker goroutines update in parallel. The workers
// live as long as the program, so a training step starts no goroutine and
// allocates nothing. An optimizer that clips takes two passes: the chunks'
// sums of squared gradients, then the updates.
type updater struct {
	opt     optim.Optimizer
	chunks  []chunk
	c       optim.Coefficients // of the step in progress
	norming bool               // the pass in progress adds up squares
	work    chan *chunk        // nil when everything runs on the caller's goroutine
	done    chan struct{}
}

// newUpdater plans the chunks of params (and their optimizer slots) and
// starts the workers if there is more than one core to use. Parameters
// marked in skip are updated elsewhere (skip may be nil).
func newUpdater(opt optim.Optimizer, params [][]float32, slots [][][]float32, skip []bool) *updater {
	u := &updater{opt: opt}
	workers := runtime.GOMAXPROCS(0)
	for i, param := range params {
		if skip != nil && skip[i] {
			continue
		}
		parts := max(1, min(workers, len(param)/minChunk))
		size := (len(param) + parts - 1) / parts
		for lo := 0; lo < len(param) || lo == 0; lo += max(size, 1) {
			hi := min(lo+size, len(param))
			ch := chunk{param: i, lo: lo, hi: hi, values: param[lo:hi]}
			for _, s := range slots[i] {
				ch.slots = append(ch.slots, s[lo:hi])
			}
			u.chunks = append(u.chunks, ch)
			if hi == len(param) {
				break
			}
		}
	}
	if workers > 1 && len(u.chunks) > 1 {
		work, done := make(chan *chunk, len(u.chunks)), make(chan struct{}, len(u.chunks))
		u.work, u.done = work, done
		for range workers {
			go func() {
				for ch := range work {
					// The send of ch happened after u.c and u.norming were set.
					u.do(ch)
					done <- struct{}{}
				}
			}()
		}
	}
	return u
}

// step applies one update with coefficients c, given each parameter's
// gradient; when the optimizer clips, c.GradScale is set here first.
func (u *updater) step(c optim.Coefficients, grads [][]float32) {
	for i := range u.chunks {
		ch := &u.chunks[i]
		ch.grad = grads[ch.param][ch.lo:ch.hi]
	}
	if u.opt.ClipNorm > 0 {
		u.norming = true
		u.pass()
		var sq float64
		for i := range u.chunks { // in a fixed order: the same sum every run
			sq += u.chunks[i].sq
		}
		c.GradScale = u.opt.ClipScale(sq)
	}
	u.c, u.norming = c, false
	u.pass()
}

// pass runs u.do on every chunk, on the workers when there are some.
func (u *updater) pass() {
	if u.work == nil {
		for i := range u.chunks {
			u.do(&u.chunks[i])
		}
		return
	}
	for i := range u.chunks {
		u.work <- &u.chunks[i]
	}
	for range u.chunks {
		<-u.done
	}
}

// do is the current pass's work on one chunk.
func (u *updater) do(ch *chunk) {
	if u.norming {
		ch.sq = sumSquares(ch.grad)
		return
	}
	u.opt.Update(u.c, ch.values, ch.grad, ch.slots)
}

// sumSquares is Σ x², added in float64 in four interleaved sums.
func sumSquares(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		a, b, c, d := float64(x[i]), float64(x[i+1]), float64(x[i+2]), float64(x[i+3])
		s0, s1, s2, s3 = s0+a*a, s1+b*b, s2+c*c, s3+d*d
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i]) * float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// close stops the workers.
func (u *updater) close() {
	if u.work != nil {
		close(u.work)
		u.work = nil
	}
}

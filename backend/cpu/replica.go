package cpu

import (
	"fmt"
	"math"
	"slices"

	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/backend/internal/plan"
	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// replica is what a program trained over the ranks of a communicator
// holds (Spec.Comm; see "Data parallelism" in package backend).
type replica struct {
	comm    comm.Communicator
	buckets *comm.Buckets
	// ready lists the gradients (indices into program.grads) in the
	// order the training steps compute them.
	ready []int
	// buffers is what each step averages, refreshed from the program's
	// values: the gradients in ready order, the Updates' values, the loss.
	buffers [][]float32
	loss    []float32
	sample  uint64 // ops.Mode.Sample: the first sample of this rank's shard
}

// newReplica plans the averaging of p's gradients, planned by pl, over
// c's ranks, and makes every rank's parameters and buffers rank 0's.
func (p *program) newReplica(pl *plan.Plan, c comm.Communicator) error {
	r := &replica{comm: c, loss: make([]float32, 1)}
	if sh := p.spec.Inputs[0].Shape(); len(sh) > 0 {
		r.sample = uint64(c.Rank() * sh[0])
	}
	at := map[int]int{} // gradient slot -> its step's position in training
	for pos, i := range pl.InMode(plan.Train) {
		for _, n := range pl.Steps[i].Nodes {
			if s, ok := p.slots[n]; ok {
				at[s] = pos
			}
		}
	}
	r.ready = make([]int, len(p.grads))
	for i := range r.ready {
		r.ready[i] = i
	}
	position := func(i int) int {
		if pos, ok := at[p.grads[i]]; ok {
			return pos
		}
		return math.MaxInt // not computed by a step: last
	}
	slices.SortStableFunc(r.ready, func(a, b int) int { return position(a) - position(b) })
	var sizes []int
	for _, i := range r.ready {
		sizes = append(sizes, p.spec.Params[i].Shape().TotalSize())
	}
	for _, u := range p.spec.Updates {
		sizes = append(sizes, u.Buffer.Shape().TotalSize())
	}
	if p.loss >= 0 {
		sizes = append(sizes, 1)
	}
	r.buckets = comm.NewBuckets(c, sizes, 0)
	r.buffers = make([][]float32, len(sizes))
	p.replica = r
	return p.spec.BroadcastValues()
}

// average replaces the gradients, the Updates' values and the loss just
// computed by their means over the ranks, and returns the mean loss.
func (p *program) average(loss float32) (float32, error) {
	r := p.replica
	k := 0
	for _, i := range r.ready {
		r.buffers[k] = cpukernels.Float32s(p.vals[p.grads[i]])
		k++
	}
	for _, u := range p.updates {
		r.buffers[k] = cpukernels.Float32s(p.vals[u[0]])
		k++
	}
	if p.loss >= 0 {
		r.loss[0] = loss
		r.buffers[k] = r.loss
	}
	if err := r.buckets.Mean(r.buffers); err != nil {
		return 0, fmt.Errorf("backend/cpu: averaging the gradients over the ranks: %w", err)
	}
	return r.loss[0], nil
}

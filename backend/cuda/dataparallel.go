//go:build cgo

package cuda

import (
	"fmt"
	"slices"

	"github.com/neurone-dl/neurone/backend/comm"
)

// Data-parallel training (Spec.Comm; see package backend): the training
// step averages the gradients, the Updates' values and the loss over the
// ranks right after the backward pass, with NCCL's grouped all-reduces
// on the program's stream, inside the captured step where NCCL allows
// capture (NCCL 2.9 and later; otherwise the program runs eagerly, as
// whenever capture fails). Parameters and optimizer state start equal on
// every rank: rank 0's host values are broadcast through the host
// communicator before they are copied to the device
// (Spec.BroadcastValues, Spec.BroadcastState).

// setupAverage joins the program's device to the ranks of spec.Comm and
// lists the buffers each step averages: the gradients in the order the
// training instructions make them, the Updates' values, the loss.
func (p *program) setupAverage() error {
	c := p.spec.Comm
	var err error
	if p.avg, err = p.dev.averager(c); err != nil {
		return fmt.Errorf("data-parallel training over %s: %w", c.Name(), err)
	}
	at := map[int]int{} // buffer -> the position of the instruction writing it
	for pos, i := range p.plan.train {
		at[p.plan.instrs[i].out] = pos
	}
	grads := slices.Clone(p.plan.grads)
	slices.SortStableFunc(grads, func(a, b int) int { return at[a] - at[b] })
	p.avgBufs = nil
	add := func(b int) {
		p.avgBufs = append(p.avgBufs, comm.DeviceBuffer{Addr: uint64(p.mem[b]), Len: p.plan.bufs[b].Size})
	}
	for _, b := range grads {
		add(b)
	}
	for _, u := range p.plan.updates {
		add(u[0])
	}
	add(p.plan.loss)
	return nil
}

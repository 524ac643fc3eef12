package cpu

import (
	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/cpukernels"
	"github.com/neurone-dl/neurone/ops"
)

// With plain SGD a weight's update is W −= lr·dW, and dW is one matrix
// product, so the product can write straight into W: C = −lr·op(A)·op(B) +
// 1·C. That saves writing dW, then reading dW and W and writing W again
// (for MLP6, 2×5.5M floats per step). foldSGD does this for every weight
// whose gradient is a MatMul that nothing else in the training step reads,
// and which nothing reads after that product (all the activation gradients
// that need the old weights come first in the plan). The result differs
// from the separate update by float32 rounding only (the BLAS may fuse the
// multiply and the add).

// sgdMatMul is a gradient product folded into the SGD update of param.
type sgdMatMul struct {
	op          ops.MatMulOp
	a, b, param int // slots
	alpha       *float32

	av, bv G.Value
	pv     []float32
	failed error
}

func (f *sgdMatMul) prepare(vals []G.Value, _ *pool) int {
	f.av, f.bv, f.pv = vals[f.a], vals[f.b], cpukernels.Float32s(vals[f.param])
	return 1 // the BLAS uses the cores itself
}

func (f *sgdMatMul) runPart(int, int) {
	f.failed = f.op.AccumulateFloat32(*f.alpha, f.av, f.bv, 1, f.pv)
}

func (f *sgdMatMul) err() error { return f.failed }

// foldSGD rewrites the training steps of p as described above and returns
// which parameters the steps now update.
func (p *program) foldSGD() []bool {
	folded := make([]bool, len(p.params))
	opt := p.spec.Optimizer
	if opt.Method != optim.SGD || opt.WeightDecay != 0 || opt.ClipNorm > 0 {
		return folded // clipping needs every gradient before any update
	}
	lastRead := map[int]int{} // slot → index of the last step that reads it
	reads := map[int]int{}    // slot → number of steps that read it
	for i, s := range p.train {
		for _, in := range s.in {
			lastRead[in] = i
			reads[in]++
		}
	}
	for i, prm := range p.spec.Params {
		w, g := p.slots[prm], p.grads[i]
		for j := range p.train {
			s := &p.train[j]
			mm, isMatMul := s.op.(ops.MatMulOp)
			if s.out != g || !isMatMul || s.fused != nil || reads[g] != 0 || !isFloat32(s.node) ||
				!prm.Shape().Eq(s.node.Shape()) || (reads[w] > 0 && lastRead[w] >= j) {
				continue
			}
			s.fused = &sgdMatMul{op: mm, a: s.in[0], b: s.in[1], param: w, alpha: &p.sgdAlpha}
			folded[i] = true
		}
	}
	return folded
}

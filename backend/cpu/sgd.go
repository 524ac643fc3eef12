package cpu

import (
	"slices"

	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/backend/internal/plan"
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

// foldSGD rewrites the training steps of p, planned by pl, as described
// above and returns which parameters the steps now update.
func (p *program) foldSGD(pl *plan.Plan) []bool {
	folded := make([]bool, len(p.params))
	opt := p.spec.Optimizer
	if opt.Method != optim.SGD || opt.WeightDecay != 0 || opt.ClipNorm > 0 {
		return folded // clipping needs every gradient before any update
	}
	steps, lastRead := pl.InMode(plan.Train), pl.LastReads(plan.Train)
	for i, prm := range p.spec.Params {
		g := p.spec.Grads[i]
		at := slices.IndexFunc(steps, func(j int) bool { return pl.Steps[j].Node() == g })
		_, gradRead := lastRead[g]
		w, weightRead := lastRead[prm]
		if at < 0 || gradRead || (weightRead && w >= at) || !isFloat32(g) || !prm.Shape().Eq(g.Shape()) {
			continue
		}
		for j := range p.train {
			s := &p.train[j]
			if mm, isMatMul := s.op.(ops.MatMulOp); isMatMul && s.node == g && s.fused == nil {
				s.fused = &sgdMatMul{op: mm, a: s.in[0], b: s.in[1], param: p.slots[prm], alpha: &p.sgdAlpha}
				folded[i] = true
			}
		}
	}
	return folded
}

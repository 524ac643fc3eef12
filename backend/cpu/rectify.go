package cpu

import (
	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/backend/internal/plan"
	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// biasRect returns the pass computing the step of plan.BiasRectify whose
// nodes are group, reading the slots in: the bias addition's operands
// and the zero, or x and the zero.
func (p *program) biasRect(pl *plan.Plan, group []*G.Node, in []int) *biasRect {
	f := &biasRect{x: in[0], bias: -1, pre: -1, mask: p.slots[group[len(group)-2]], out: p.slots[group[len(group)-1]]}
	if len(group) == 3 {
		f.bias = in[1]
		if pl.Kept(group[0]) {
			f.pre = p.slots[group[0]]
		}
	}
	return f
}

// biasRect computes, row by row and rows split across cores, Gorgonia's
// Rectify of x, or of pre = x + b (b added to each row) when bias ≥ 0:
// mask = [pre ≥ 0], out = pre ⊙ mask (cpukernels.Rectify). pre is written
// only where something else reads it (pre ≥ 0).
type biasRect struct {
	cannotFail
	x, bias, pre, mask, out int // slots; bias, pre < 0: none

	xv, bv, prev, maskv, outv []float32
	width                     int // of a row
}

func (f *biasRect) prepare(vals []G.Value, pool *pool) int {
	f.xv, f.maskv, f.outv = cpukernels.Float32s(vals[f.x]), cpukernels.Float32s(vals[f.mask]), cpukernels.Float32s(vals[f.out])
	f.bv, f.prev, f.width = nil, nil, max(1, min(len(f.outv), parallelMin))
	if f.bias >= 0 {
		f.bv = cpukernels.Float32s(vals[f.bias])
		f.width = len(f.bv)
	}
	if f.pre >= 0 {
		f.prev = cpukernels.Float32s(vals[f.pre])
	}
	return min(pool.parts(len(f.outv)), max(1, len(f.outv)/f.width))
}

func (f *biasRect) runPart(part, parts int) {
	m := f.width
	rows := (len(f.outv) + m - 1) / m
	lo, hi := span(rows, part, parts)
	for r := lo * m; r < min(hi*m, len(f.outv)); r += m {
		end := min(r+m, len(f.outv))
		x, out := f.xv[r:end], f.outv[r:end]
		if f.bv != nil {
			sum := out // the sum, in out unless another step reads it
			if f.prev != nil {
				sum = f.prev[r:end]
			}
			for j, v := range f.bv {
				sum[j] = x[j] + v
			}
			x = sum
		}
		cpukernels.Rectify(out, f.maskv[r:end], x)
	}
}

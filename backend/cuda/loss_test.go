package cuda

import (
	"math"

	"github.com/neurone-dl/neurone/ops"
)

func (l lossArgs) simulate(s *sim, in *instr) {
	out, p, t := s.mem[in.out], s.mem[in.in[0]], s.mem[in.in[1]]
	if l.grad {
		scale := s.mem[in.in[2]][0] / float32(l.n)
		for i := range l.n {
			if l.kind == ops.BCEWithLogitsLoss {
				out[i] = (simAct(actSigmoid, p[i], 0) - t[i]) * scale
			} else {
				out[i] = 2 * (p[i] - t[i]) * scale
			}
		}
		return
	}
	var sum float64
	for i := range l.n {
		z, y := float64(p[i]), float64(t[i])
		if l.kind == ops.BCEWithLogitsLoss {
			sum += max(z, 0) - z*y + math.Log1p(math.Exp(-math.Abs(z)))
		} else {
			sum += (z - y) * (z - y)
		}
	}
	out[0] = float32(sum / float64(l.n))
}

func (l softmaxXentArgs) simulate(s *sim, in *instr) {
	out, p, t := s.mem[in.out], s.mem[in.in[0]], s.mem[in.in[1]]
	var sum float64
	for r := range l.rows {
		z, y := p[r*l.cols:][:l.cols], t[r*l.cols:][:l.cols]
		m, e := simMaxSum(z)
		if !l.grad {
			lse := float64(m) + math.Log(e)
			for c := range z {
				sum += float64(y[c]) * (lse - float64(z[c]))
			}
			continue
		}
		var sy float64
		for _, v := range y {
			sy += float64(v)
		}
		scale := float64(s.mem[in.in[2]][0]) / float64(l.rows)
		for c := range z {
			out[r*l.cols+c] = float32((math.Exp(float64(z[c])-float64(m))/e*sy - float64(y[c])) * scale)
		}
	}
	if !l.grad {
		out[0] = float32(sum / float64(l.rows))
	}
}

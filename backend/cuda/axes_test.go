package cuda

import "math"

func (a axesArgs) simulate(s *sim, in *instr) {
	out, x := s.mem[in.out], s.mem[in.in[0]]
	for o := range a.kept.size() {
		_, base := a.kept.offsets(o)
		var sum float64
		mx := float32(math.Inf(-1))
		for r := range a.reduced.size() {
			_, off := a.reduced.offsets(r)
			v := x[base+off]
			sum += float64(v)
			mx = max(mx, v)
		}
		out[o] = mx
		if a.kind == reduceSum {
			out[o] = float32(sum)
		}
	}
}

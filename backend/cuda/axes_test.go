package cuda

import "math"

// offset is view_offset of kernelSource: where element i of v lies at
// the strides xs.
func (v view) offset(i int) int {
	off := 0
	for k := maxViewAxes - 1; k >= 0; k-- {
		off += i % v.dims[k] * v.xs[k]
		i /= v.dims[k]
	}
	return off
}

func (a axesArgs) simulate(s *sim, in *instr) {
	out, x := s.mem[in.out], s.mem[in.in[0]]
	for o := range a.kept.size() {
		base := a.kept.offset(o)
		var sum float64
		mx := float32(math.Inf(-1))
		for r := range a.reduced.size() {
			v := x[base+a.reduced.offset(r)]
			sum += float64(v)
			mx = max(mx, v)
		}
		out[o] = mx
		if a.kind == reduceSum {
			out[o] = float32(sum)
		}
	}
}

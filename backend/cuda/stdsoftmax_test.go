package cuda

import "math"

func (a stdSoftmaxArgs) simulate(s *sim, in *instr) {
	out, rows, cols := s.mem[in.out], a.rows, a.cols
	for r := range rows {
		if !a.diff {
			x := s.mem[in.in[0]][r*cols:][:cols]
			m, e := simMaxSum(x)
			for c, v := range x {
				d := float64(v) - float64(m)
				if a.kernel == "log_softmax" {
					out[r*cols+c] = float32(d - math.Log(e))
				} else {
					out[r*cols+c] = float32(math.Exp(d) / e)
				}
			}
			continue
		}
		y, dy := s.mem[in.in[1]][r*cols:][:cols], s.mem[in.in[2]][r*cols:][:cols]
		var dot, sum float64
		for c, v := range y {
			dot += float64(v) * float64(dy[c])
			sum += float64(dy[c])
		}
		for c, v := range y {
			if a.kernel == "log_softmax_backward" {
				out[r*cols+c] = float32(float64(dy[c]) - math.Exp(float64(v))*sum)
			} else {
				out[r*cols+c] = float32(float64(v) * (float64(dy[c]) - dot))
			}
		}
	}
}

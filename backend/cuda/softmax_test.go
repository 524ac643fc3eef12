package cuda

import "math"

func (a softmaxArgs) simulate(s *sim, in *instr) {
	out, rows, cols := s.mem[in.out], a.rows, a.cols
	for r := range rows {
		x := s.mem[in.in[0]][r*cols:][:cols]
		if a.kernel == "softmax" {
			m, e := simMaxSum(x)
			for c, v := range x {
				out[r*cols+c] = float32(math.Exp(float64(v)-float64(m)) / e)
			}
			continue
		}
		y, dy := x, s.mem[in.in[1]][r*cols:][:cols]
		var dot float64
		for c, v := range y {
			dot += float64(v) * float64(dy[c])
		}
		for c, v := range y {
			out[r*cols+c] = float32(float64(v) * (float64(dy[c]) - dot))
		}
	}
}

// simMaxSum is the kernels' row_max_sum: the largest value m of row and
// Σ e^(row[c] − m), in float64.
func simMaxSum(row []float32) (m float32, e float64) {
	m = row[0]
	for _, v := range row[1:] {
		m = max(m, v)
	}
	for _, v := range row {
		e += math.Exp(float64(v) - float64(m))
	}
	return m, e
}

package cpukernels

import "math"

// SoftmaxRows writes the softmax of each row of cols elements of x to dst,
// summing in float64.
func SoftmaxRows[T Float](dst, x, _ []T, cols int) {
	for r := 0; r+cols <= len(dst); r += cols {
		row, out := x[r:r+cols], dst[r:r+cols]
		m, s := rowLogSumExp(row)
		for c, v := range row {
			out[c] = T(math.Exp(float64(v)-m) / s)
		}
	}
}

// SoftmaxBackwardRows writes dx = y ⊙ (dy − Σ_c dy_c·y_c) for each row of
// cols elements.
func SoftmaxBackwardRows[T Float](dst, y, dy []T, cols int) {
	for r := 0; r+cols <= len(dst); r += cols {
		var dot float64
		for c, v := range y[r : r+cols] {
			dot += float64(v) * float64(dy[r+c])
		}
		for c, v := range y[r : r+cols] {
			dst[r+c] = T(float64(v) * (float64(dy[r+c]) - dot))
		}
	}
}

// rowLogSumExp returns m = max(row) and s = Σ e^(row_c − m), in float64:
// log Σ e^row = m + log s, and s ≥ 1.
func rowLogSumExp[T Float](row []T) (m, s float64) {
	m = math.Inf(-1)
	for _, v := range row {
		m = max(m, float64(v))
	}
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	return m, s
}

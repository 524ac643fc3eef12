package cpukernels

// The reductions below add in float64, so long float32 runs lose no
// precision, in four interleaved partial sums: a single running sum makes
// each addition wait for the one before it, and a reduction then runs at
// the adder's latency instead of its throughput. The order is fixed, so a
// given input always gives the same bits, whether the AVX kernels
// (lanes_amd64.s) or the Go loops add them. The products are converted
// explicitly to float64 before they are added, which forbids the compiler
// to fuse a multiply and an add (it may, with GOAMD64=v3), so that the Go
// loops round as the AVX kernels do.

// Sum returns Σx: how ops.SumOp adds, and ops.SumChannelsOp each run of a
// channel's values, so an executor that fuses such a sum into the pass
// that writes x gets the same bits.
func Sum[T Float](x []T) float64 {
	var lanes [4]float64
	if is32[T]() {
		x = as[T](sumLanes(as[float32](x), &lanes))
	}
	s0, s1, s2, s3 := lanes[0], lanes[1], lanes[2], lanes[3]
	for len(x) >= 4 {
		s0 += float64(x[0])
		s1 += float64(x[1])
		s2 += float64(x[2])
		s3 += float64(x[3])
		x = x[4:]
	}
	for _, v := range x {
		s0 += float64(v)
	}
	return (s0 + s1) + (s2 + s3)
}

// SumSquaredDev returns Σ(x − mean)².
func SumSquaredDev[T Float](x []T, mean float64) float64 {
	var lanes [4]float64
	if is32[T]() {
		x = as[T](sumSquaredDevLanes(as[float32](x), mean, &lanes))
	}
	s0, s1, s2, s3 := lanes[0], lanes[1], lanes[2], lanes[3]
	for len(x) >= 4 {
		d0, d1, d2, d3 := float64(x[0])-mean, float64(x[1])-mean, float64(x[2])-mean, float64(x[3])-mean
		s0 += float64(d0 * d0)
		s1 += float64(d1 * d1)
		s2 += float64(d2 * d2)
		s3 += float64(d3 * d3)
		x = x[4:]
	}
	for _, v := range x {
		d := float64(v) - mean
		s0 += float64(d * d)
	}
	return (s0 + s1) + (s2 + s3)
}

// SumGradDev returns Σdy and Σdy·(x − mean) over dy and x of one length.
func SumGradDev[T Float](dy, x []T, mean float64) (sdy, sdyd float64) {
	x = x[:len(dy)]
	var lanes [8]float64
	if is32[T]() {
		d, xs := sumGradDevLanes(as[float32](dy), as[float32](x), mean, &lanes)
		dy, x = as[T](d), as[T](xs)
	}
	a0, a1, a2, a3 := lanes[0], lanes[1], lanes[2], lanes[3]
	b0, b1, b2, b3 := lanes[4], lanes[5], lanes[6], lanes[7]
	for len(dy) >= 4 && len(x) >= 4 {
		g0, g1, g2, g3 := float64(dy[0]), float64(dy[1]), float64(dy[2]), float64(dy[3])
		a0 += g0
		a1 += g1
		a2 += g2
		a3 += g3
		b0 += float64(g0 * (float64(x[0]) - mean))
		b1 += float64(g1 * (float64(x[1]) - mean))
		b2 += float64(g2 * (float64(x[2]) - mean))
		b3 += float64(g3 * (float64(x[3]) - mean))
		dy, x = dy[4:], x[4:]
	}
	for i, g := range dy {
		a0 += float64(g)
		b0 += float64(float64(g) * (float64(x[i]) - mean))
	}
	return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)
}

// SumRows adds the rows of x (rows of len(dst) values) into dst:
// dst[j] = Σ_i x[i,j], in row order.
func SumRows[T Float](dst, x []T) {
	m := len(dst)
	clear(dst)
	for r := 0; r+m <= len(x); r += m {
		for j, v := range x[r : r+m] {
			dst[j] += v
		}
	}
}

// SumChannels adds each channel's values of x (N×C×plane, C = len(dst))
// into dst in float64 (Sum of each plane, the planes in image order), a
// channel per chunk of work.
func SumChannels[T Float](plane int, dst, x []T) {
	if len(dst) == 0 || plane == 0 {
		clear(dst)
		return
	}
	g := Channels{N: len(x) / (plane * len(dst)), C: len(dst), Inner: plane}
	launch[sumChannelsJob[T]](g.C, 1, sumChannelsJob[T]{g: g, out: dst, x: x})
}

// sumChannelsJob is a call of SumChannels.
type sumChannelsJob[T Float] bnJob[T]

func (j *sumChannelsJob[T]) chunk(c, _, _ int) {
	var s float64
	x := j.x
	j.g.each(c, func(lo, hi int) { s += Sum(x[lo:hi]) })
	j.out[c] = T(s)
}

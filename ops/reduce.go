package ops

// The reductions below add in float64, so long float32 runs lose no
// precision, in four interleaved partial sums: a single running sum makes
// each addition wait for the one before it, and a reduction then runs at
// the adder's latency instead of its throughput. The order is fixed, so a
// given input always gives the same bits.

// sum returns Σx.
func sum[T Float](x []T) float64 {
	var s0, s1, s2, s3 float64
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

// SumFloat32s returns Σx as SumOp and SumChannelsOp add it (each run of
// a channel's values): for executors that fuse such a sum into the pass
// that writes x, with the same bits.
func SumFloat32s(x []float32) float64 { return sum(x) }

// sumSquaredDev returns Σ(x − mean)².
func sumSquaredDev[T Float](x []T, mean float64) float64 {
	var s0, s1, s2, s3 float64
	for len(x) >= 4 {
		d0, d1, d2, d3 := float64(x[0])-mean, float64(x[1])-mean, float64(x[2])-mean, float64(x[3])-mean
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
		x = x[4:]
	}
	for _, v := range x {
		d := float64(v) - mean
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// sumGradDev returns Σdy and Σdy·(x − mean) over dy and x of one length.
func sumGradDev[T Float](dy, x []T, mean float64) (sdy, sdyd float64) {
	x = x[:len(dy)]
	var a0, a1, a2, a3, b0, b1, b2, b3 float64
	for len(dy) >= 4 && len(x) >= 4 {
		g0, g1, g2, g3 := float64(dy[0]), float64(dy[1]), float64(dy[2]), float64(dy[3])
		a0 += g0
		a1 += g1
		a2 += g2
		a3 += g3
		b0 += g0 * (float64(x[0]) - mean)
		b1 += g1 * (float64(x[1]) - mean)
		b2 += g2 * (float64(x[2]) - mean)
		b3 += g3 * (float64(x[3]) - mean)
		dy, x = dy[4:], x[4:]
	}
	for i, g := range dy {
		a0 += float64(g)
		b0 += float64(g) * (float64(x[i]) - mean)
	}
	return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)
}

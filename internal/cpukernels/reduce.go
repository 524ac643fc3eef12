package cpukernels

// The reductions below add in float64, so long float32 runs lose no
// precision, in 16 interleaved partial sums (lanes): a single running sum
// makes each addition wait for the one before it, and a reduction then
// runs at the adder's latency instead of its throughput; 16 lanes keep
// four vector chains of additions in flight. A run's last elements go, in
// fours, to lanes 0-3, and the last one to three to lane 0; the lanes are
// then added pairwise (total). The order is fixed, so a given input
// always gives the same bits, whether the AVX kernels (lanes_amd64.s) or
// the Go loops add them. The products are converted explicitly to float64
// before they are added, which forbids the compiler to fuse a multiply and
// an add (it may, with GOAMD64=v3), so that the Go loops round as the AVX
// kernels do.

// lanes is how many partial sums the reductions keep.
const lanes = 16

// total adds the lanes up pairwise, neighbours first.
func total(l *[lanes]float64) float64 {
	var quads [lanes / 4]float64
	for q := range quads {
		quads[q] = (l[4*q] + l[4*q+1]) + (l[4*q+2] + l[4*q+3])
	}
	return (quads[0] + quads[1]) + (quads[2] + quads[3])
}

// Sum returns Σx: how ops.SumOp adds, and ops.SumChannelsOp each run of a
// channel's values, so an executor that fuses such a sum into the pass
// that writes x gets the same bits.
func Sum[T Float](x []T) float64 {
	var l [lanes]float64
	if is32[T]() {
		x = as[T](sumLanes(as[float32](x), &l))
	}
	for len(x) >= lanes {
		for k, v := range x[:lanes] {
			l[k] += float64(v)
		}
		x = x[lanes:]
	}
	for len(x) >= 4 {
		l[0] += float64(x[0])
		l[1] += float64(x[1])
		l[2] += float64(x[2])
		l[3] += float64(x[3])
		x = x[4:]
	}
	for _, v := range x {
		l[0] += float64(v)
	}
	return total(&l)
}

// SumSquaredDev returns Σ(x − mean)².
func SumSquaredDev[T Float](x []T, mean float64) float64 {
	var l [lanes]float64
	if is32[T]() {
		x = as[T](sumSquaredDevLanes(as[float32](x), mean, &l))
	}
	for len(x) >= lanes {
		for k, v := range x[:lanes] {
			d := float64(v) - mean
			l[k] += float64(d * d)
		}
		x = x[lanes:]
	}
	for len(x) >= 4 {
		for k, v := range x[:4] {
			d := float64(v) - mean
			l[k] += float64(d * d)
		}
		x = x[4:]
	}
	for _, v := range x {
		d := float64(v) - mean
		l[0] += float64(d * d)
	}
	return total(&l)
}

// SumGradDev returns Σdy and Σdy·(x − mean) over dy and x of one length.
func SumGradDev[T Float](dy, x []T, mean float64) (sdy, sdyd float64) {
	x = x[:len(dy)]
	var l [2 * lanes]float64
	if is32[T]() {
		d, xs := sumGradDevLanes(as[float32](dy), as[float32](x), mean, &l)
		dy, x = as[T](d), as[T](xs)
	}
	a, b := (*[lanes]float64)(l[:lanes]), (*[lanes]float64)(l[lanes:])
	for len(dy) >= lanes && len(x) >= lanes {
		for k, v := range dy[:lanes] {
			g := float64(v)
			a[k] += g
			b[k] += float64(g * (float64(x[k]) - mean))
		}
		dy, x = dy[lanes:], x[lanes:]
	}
	for len(dy) >= 4 && len(x) >= 4 {
		for k, v := range dy[:4] {
			g := float64(v)
			a[k] += g
			b[k] += float64(g * (float64(x[k]) - mean))
		}
		dy, x = dy[4:], x[4:]
	}
	for i, v := range dy {
		g := float64(v)
		a[0] += g
		b[0] += float64(g * (float64(x[i]) - mean))
	}
	return total(a), total(b)
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

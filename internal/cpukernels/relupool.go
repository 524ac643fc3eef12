package cpukernels

import (
	"math"
	"math/bits"
)

// A convolutional block's tail, z = affine(x) per channel (a bias, or a
// batch normalisation), a = ReLU(z), y = 2×2 max pooling of a with stride
// 2, reads and writes its largest maps three times when each op runs on
// its own, and its gradient (max pooling's, then ReLU's) three more. The
// rectifier is monotone, so it commutes with the maximum, and the pooling
// that picks each window's largest a also decides where its gradient
// goes: ReLUPool below reads x once and writes only y and, per window,
// where the gradient goes (Route), and ReLUPoolBackward turns Route and
// dy into dz in one pass. Both compute the very bits of the ops run one
// by one (ChannelBiasAdd or BatchNorm, ReLU, MaxPool2D, and
// MaxPool2DBackward, ReLUBackward, SumChannels).

// NoRoute is the Route of a window whose maximum is not positive: its
// gradient is zero throughout (ReLU passes none).
const NoRoute = 4

// ReLUPool is the fused forward pass z = affine(x), y = maxpool2x2(ReLU(z))
// over N×C maps of H×W. The affine map of channel c is z = x + Bias[c]
// when Bias is not nil, else z = T(x·Scale[c] + Shift[c]) computed in
// float64, as BatchNorm computes it (BatchNormCoefficients).
type ReLUPool struct {
	Layout       Channels // N, C, Inner = H·W
	H, W         int
	X            []float32 // N×C×H×W
	Bias         []float32 // C values, or nil
	Scale, Shift []float64 // C values each, when Bias is nil
	Y            []float32 // N×C×(H/2)×(W/2)
	// Route gets, per output, which of its window's four elements (row
	// major) holds the maximum, or NoRoute.
	Route []uint8
}

// Planes computes the maps lo ≤ p < hi (map p is image p/C's channel
// p%C).
func (k *ReLUPool) Planes(lo, hi int) {
	oh, ow := k.H/2, k.W/2
	if gatherWindows(ow) {
		k.gathered(lo, hi)
		return
	}
	for p := lo; p < hi; p++ {
		c := p % k.Layout.C
		plane := k.X[p*k.Layout.Inner : (p+1)*k.Layout.Inner]
		out, route := k.Y[p*oh*ow:(p+1)*oh*ow], k.Route[p*oh*ow:(p+1)*oh*ow]
		for i := range oh {
			top, bottom := plane[2*i*k.W:(2*i+1)*k.W], plane[(2*i+1)*k.W:(2*i+2)*k.W]
			row, r := out[i*ow:(i+1)*ow], route[i*ow:(i+1)*ow]
			if k.Bias != nil {
				reluPoolBiasRow(row, r, top, bottom, k.Bias[c])
			} else {
				reluPoolAffineRow(row, r, top, bottom, k.Scale[c], k.Shift[c])
			}
		}
	}
}

// gatherWindows says whether ReLUPool and its gradient gather a map's
// windows into one row before pooling it: where the AVX2 rows run, for
// maps whose rows hold fewer than 16 windows and not a multiple of 8. Row
// by row, the AVX2 kernels would leave each row's last windows (all of a
// row under 8) to the Go loop, which takes several times as long a window;
// gathered, a map's windows go eight at a time but for its last few, at
// the cost of copying the map. A window's result is the same either way.
// (Rows of 25 windows, the default CNN's first block, pool 12% faster and
// their gradient 26% faster row by row: the copies cost more than one
// window a row in Go. Rows of 12 take as long either way.)
func gatherWindows(ow int) bool { return haveAVX2 && ow%8 != 0 && ow < 16 }

// gathered is Planes with each map's windows gathered: the top lines of
// its windows copied one after another into a row, their bottom lines
// into another, which pool as one row.
func (k *ReLUPool) gathered(lo, hi int) {
	oh, ow := k.H/2, k.W/2
	n := oh * ow
	scratch := getScratch[float32](4 * n)
	top, bottom := (*scratch)[:2*n], (*scratch)[2*n:]
	for p := lo; p < hi; p++ {
		plane := k.X[p*k.Layout.Inner : (p+1)*k.Layout.Inner]
		for i := range oh {
			copy(top[2*i*ow:2*(i+1)*ow], plane[2*i*k.W:])
			copy(bottom[2*i*ow:2*(i+1)*ow], plane[(2*i+1)*k.W:])
		}
		out, route := k.Y[p*n:(p+1)*n], k.Route[p*n:(p+1)*n]
		if c := p % k.Layout.C; k.Bias != nil {
			reluPoolBiasRow(out, route, top, bottom, k.Bias[c])
		} else {
			reluPoolAffineRow(out, route, top, bottom, k.Scale[c], k.Shift[c])
		}
	}
	putScratch(scratch)
}

func reluPoolBiasRow(out []float32, route []uint8, top, bottom []float32, b float32) {
	route = route[:len(out)]
	top, bottom = top[:2*len(out)], bottom[:2*len(out)]
	for j := reluPoolLanes(out, route, top, bottom, b, 0, 0, true); j < len(out); j++ {
		z0, z1, z2, z3 := top[2*j]+b, top[2*j+1]+b, bottom[2*j]+b, bottom[2*j+1]+b
		m, at := max4(reluBits(z0), reluBits(z1), reluBits(z2), reluBits(z3))
		out[j], route[j] = math.Float32frombits(m), at
		if z0 != z0 {
			out[j] = allNaN(out[j], z0, z1, z2, z3)
		}
	}
}

func reluPoolAffineRow(out []float32, route []uint8, top, bottom []float32, scale, shift float64) {
	route = route[:len(out)]
	top, bottom = top[:2*len(out)], bottom[:2*len(out)]
	for j := reluPoolLanes(out, route, top, bottom, 0, scale, shift, false); j < len(out); j++ {
		z0, z1 := affine(top[2*j], scale, shift), affine(top[2*j+1], scale, shift)
		z2, z3 := affine(bottom[2*j], scale, shift), affine(bottom[2*j+1], scale, shift)
		m, at := max4(reluBits(z0), reluBits(z1), reluBits(z2), reluBits(z3))
		out[j], route[j] = math.Float32frombits(m), at
		if z0 != z0 {
			out[j] = allNaN(out[j], z0, z1, z2, z3)
		}
	}
}

// affine returns float32(x·scale + shift) computed in float64, as
// BatchNorm computes it: the product rounded before the sum (the
// conversion forbids the compiler to fuse them), as the AVX2 kernels
// round it.
func affine(x float32, scale, shift float64) float32 {
	return float32(float64(float64(x)*scale) + shift)
}

// The row loops find the largest of ReLU(z) over each window (z0..z3,
// its elements in row-major order) and where it is (max4), or NoRoute
// when it is not positive, choosing as maxRow2x2 chooses: the first
// largest. They compare the rectified values' bits as integers, which
// order as the values do for the non-negative ones, without a branch
// (conditional moves). A NaN counts as 0 there, as in MaxPool, which
// passes NaNs over; but a window all NaN pools to NaN in MaxPool, and
// allNaN makes it so here.

// allNaN returns ReLU(z0) (a NaN) if all four are NaN, else y.
func allNaN(y, z0, z1, z2, z3 float32) float32 {
	if z0 != z0 && z1 != z1 && z2 != z2 && z3 != z3 {
		return max(z0, 0)
	}
	return y
}

// max4 returns the largest of four and the index of the first that holds
// it, or NoRoute if it is 0.
func max4(u0, u1, u2, u3 uint32) (uint32, uint8) {
	m := max(u0, u1, u2, u3)
	// Bit k is set where element k holds the maximum, bits 3 and 4
	// always: the lowest set bit is the first largest, or NoRoute once the
	// four lowest are cleared for a maximum of 0.
	first := b2i(u0 == m) | b2i(u1 == m)<<1 | b2i(u2 == m)<<2 | 8 | 16
	first &^= 15 * b2i(m == 0)
	return m, uint8(bits.TrailingZeros8(uint8(first)))
}

// reluBits returns the bits of max(x, 0) for x not NaN, 0 for a NaN.
func reluBits(x float32) uint32 {
	u := math.Float32bits(x)
	if u > 0x7f800000 { // negative, or NaN
		u = 0
	}
	return u
}

// ReLUPoolBackward is the gradient of ReLUPool: from the pooled gradient
// Dy and Route it writes DZ, the gradient of z (dy at each routed element,
// zero elsewhere), and, when DBias is not nil, each channel's sum of DZ
// (SumChannels: Sum of each plane, the planes in image order).
type ReLUPoolBackward struct {
	Layout Channels // N, C, Inner = H·W
	H, W   int
	Route  []uint8
	Dy     []float32
	DZ     []float32
	DBias  []float32 // C values, or nil
}

// Channels computes the channels lo ≤ c < hi of every image.
func (k *ReLUPoolBackward) Channels(lo, hi int) {
	g := k.Layout
	oh, ow := k.H/2, k.W/2
	for c := lo; c < hi; c++ {
		var s float64
		for n := range g.N {
			p := n*g.C + c
			plane := k.DZ[p*g.Inner : (p+1)*g.Inner]
			k.plane(plane, k.Dy[p*oh*ow:(p+1)*oh*ow], k.Route[p*oh*ow:(p+1)*oh*ow])
			if k.DBias != nil {
				s += Sum(plane)
			}
		}
		if k.DBias != nil {
			k.DBias[c] = float32(s)
		}
	}
}

// plane writes one map's gradient dz from its pooled gradient dy and
// routes: zeros, then each window's gradient at its routed element.
func (k *ReLUPoolBackward) plane(dz, dy []float32, route []uint8) {
	clear(dz)
	oh, ow := k.H/2, k.W/2
	if gatherWindows(ow) {
		k.gathered(dz, dy, route)
		return
	}
	at := [4]int{0, 1, k.W, k.W + 1} // a window's elements from its first
	for i := range oh {
		routeRow(dz[2*i*k.W:], dy[i*ow:(i+1)*ow], route[i*ow:(i+1)*ow], &at)
	}
}

// routeRow writes each g of dy to the element of its window (the j-th
// window at top[2j]) that its route names: 0 + g, as MaxPoolBackward adds
// it onto a cleared map, or, without a route, 0 to the first (already 0),
// so that no branch depends on the data. (The AVX2 rows, routeLanes,
// write each window's other three elements 0 as well.)
func routeRow(top, dy []float32, route []uint8, at *[4]int) {
	route = route[:len(dy)]
	for j := routeLanes(top, dy, route, at[2]); j < len(dy); j++ {
		g, r := dy[j], route[j]
		top[2*j+at[r&3]] = math.Float32frombits(math.Float32bits(g+0) & onlyIf(r < NoRoute))
	}
}

// onlyIf is all ones if c holds, else 0.
func onlyIf(c bool) uint32 { return -uint32(b2i(c)) }

// gathered is plane with the map's windows gathered, as ReLUPool.gathered
// gathers them: their gradients are written into the row of their top
// lines and the row of their bottom lines, which are then copied into
// place in dz.
func (k *ReLUPoolBackward) gathered(dz, dy []float32, route []uint8) {
	oh, ow := k.H/2, k.W/2
	n := oh * ow
	scratch := getScratch[float32](4 * n)
	rows := *scratch
	clear(rows)
	at := [4]int{0, 1, 2 * n, 2*n + 1}
	routeRow(rows, dy[:n], route[:n], &at)
	for i := range oh {
		copy(dz[2*i*k.W:2*i*k.W+2*ow], rows[2*i*ow:])
		copy(dz[(2*i+1)*k.W:(2*i+1)*k.W+2*ow], rows[2*n+2*i*ow:])
	}
	putScratch(scratch)
}

// ReLUPoolNormBackward is the gradient of a block whose ReLUPool maps
// a batch normalisation, while training: ReLUPoolBackward's then
// BatchNormBackward's. From Pool's Route and Dy it writes Norm's DX,
// DGamma and DBeta, the bits of the two run one after the other, without
// writing dz to memory: each channel's dz is made, map after map, in a
// buffer of the channel's size that stays in the core's caches for the
// normalisation's two passes over it. (Written out, dz was cleared,
// written and then read back twice from memory.) Pool's DZ and DBias, and
// Norm's Dy, are not used.
type ReLUPoolNormBackward struct {
	Pool ReLUPoolBackward
	Norm BatchNormBackward
}

// Channels computes the channels lo ≤ c < hi of every image.
func (k *ReLUPoolNormBackward) Channels(lo, hi int) {
	g := k.Pool.Layout
	scratch := getScratch[float32](g.count())
	dz := func(n int) []float32 { return (*scratch)[n*g.Inner : (n+1)*g.Inner] }
	for c := lo; c < hi; c++ {
		f := k.sums(c, dz)
		for n := range g.N {
			lo, hi := g.run(c, n)
			gradXRun(f, k.Norm.DX[lo:hi], k.Norm.X[lo:hi], dz(n))
		}
	}
	putScratch(scratch)
}

// sums writes channel c's DGamma and DBeta and returns the map from its
// dz to its dx, making image n's map of dz in dz(n) on the way.
func (k *ReLUPoolNormBackward) sums(c int, dz func(n int) []float32) gradX {
	g, b := k.Pool.Layout, &k.Norm
	mean, inv := norm(g, b.Eps, true, c, b.Stats, nil, nil)
	var sdy, sdyx float64 // as dySums adds them
	for n := range g.N {
		plane := dz(n)
		k.dz(plane, c, n)
		lo, hi := g.run(c, n)
		a, b := SumGradDev(plane, b.X[lo:hi], mean)
		sdy += a
		sdyx += b
	}
	sdyx *= inv
	b.DGamma[c] = float32(sdyx)
	if b.DBeta != nil {
		b.DBeta[c] = float32(sdy)
	}
	return trainGradX(g, c, b.Gamma, mean, inv, sdy, sdyx)
}

// dz writes into dz the gradient of image n's map of channel c.
func (k *ReLUPoolNormBackward) dz(dz []float32, c, n int) {
	p, windows := n*k.Pool.Layout.C+c, (k.Pool.H/2)*(k.Pool.W/2)
	k.Pool.plane(dz, k.Pool.Dy[p*windows:(p+1)*windows], k.Pool.Route[p*windows:(p+1)*windows])
}

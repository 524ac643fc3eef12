package cpukernels

// Pool is the geometry of one pooling: Planes (N·C) planes of H×W values
// pooled in KH×KW windows SH rows and SW columns apart into OH×OW.
type Pool struct {
	Planes         int
	H, W, OH, OW   int
	KH, KW, SH, SW int
}

// poolChunk is how many planes one goroutine of the pooling kernels takes
// at a time.
const poolChunk = 8

// MaxPool writes the maximum of each window of x to y.
func MaxPool[T Float](g Pool, y, x []T) {
	launch[maxPoolJob[T]](g.Planes, poolChunk, maxPoolJob[T]{g: g, out: y, x: x})
}

// poolJob is a call of a pooling kernel: the geometry, the output, the
// input x (the forward pass's, for the max pooling's backward pass), dy
// (the backward passes') and the averages' scale. Each kernel's job is a
// type of its own, for its chunk method.
type poolJob[T Float] struct {
	g          Pool
	out, x, dy []T
	scale      T
}

type maxPoolJob[T Float] poolJob[T]

func (j *maxPoolJob[T]) chunk(_, lo, hi int) {
	g := j.g
	for c := lo; c < hi; c++ {
		plane, out := j.x[c*g.H*g.W:(c+1)*g.H*g.W], j.out[c*g.OH*g.OW:(c+1)*g.OH*g.OW]
		for i := range g.OH {
			row := out[i*g.OW : (i+1)*g.OW]
			if g.KH == 2 && g.KW == 2 {
				maxRow2x2(row, plane, i*g.SH*g.W, g.SW, g.W)
				continue
			}
			for j := range row {
				row[j] = plane[argmax(g, plane, i, j)]
			}
		}
	}
}

// MaxPoolBackward routes each dy to the element of its window of x that
// holds the maximum (the first in row-major order when several do), adding
// where windows overlap. It finds each window's maximum again, rather than
// keeping indices from the forward pass.
func MaxPoolBackward[T Float](g Pool, dx, x, dy []T) {
	launch[maxPoolBackwardJob[T]](g.Planes, poolChunk, maxPoolBackwardJob[T]{g: g, out: dx, x: x, dy: dy})
}

type maxPoolBackwardJob[T Float] poolJob[T]

func (j *maxPoolBackwardJob[T]) chunk(_, lo, hi int) {
	g := j.g
	for c := lo; c < hi; c++ {
		plane, dplane := j.x[c*g.H*g.W:(c+1)*g.H*g.W], j.out[c*g.H*g.W:(c+1)*g.H*g.W]
		grad := j.dy[c*g.OH*g.OW : (c+1)*g.OH*g.OW]
		clear(dplane)
		for i := range g.OH {
			row := grad[i*g.OW : (i+1)*g.OW]
			if g.KH == 2 && g.KW == 2 {
				routeRow2x2(dplane, row, plane, i*g.SH*g.W, g.SW, g.W)
				continue
			}
			for j, d := range row {
				dplane[argmax(g, plane, i, j)] += d
			}
		}
	}
}

// argmax returns the index in plane (H×W) of the first largest element of
// the window at output (i, j). NaNs are passed over unless the whole
// window is NaN.
func argmax[T Float](g Pool, plane []T, i, j int) int {
	top := (i*g.SH)*g.W + j*g.SW
	best := top
	for p := range g.KH {
		row := top + p*g.W
		for k := row; k < row+g.KW; k++ {
			if better(plane[k], plane[best]) {
				best = k
			}
		}
	}
	return best
}

// maxRow2x2 and routeRow2x2 are the forward and backward pass over one
// output row of 2×2 windows, the common case, the first at plane[top] and
// the others sw columns apart, in rows of w. They find each window's
// maximum without a branch (window maxima are as good as random, so a
// branch would be mispredicted half the time): the first of each row
// that is largest, then the first of those two, which is what argmax's
// scan in row-major order keeps.
func maxRow2x2[T Float](out, plane []T, top, sw, w int) {
	for j := range out {
		a := top + j*sw
		b := a + w
		up, down := pick(a, a+1, plane[a], plane[a+1]), pick(b, b+1, plane[b], plane[b+1])
		out[j] = plane[pick(up, down, plane[up], plane[down])]
	}
}

func routeRow2x2[T Float](dplane, grad, plane []T, top, sw, w int) {
	for j, d := range grad {
		a := top + j*sw
		b := a + w
		up, down := pick(a, a+1, plane[a], plane[a+1]), pick(b, b+1, plane[b], plane[b+1])
		dplane[pick(up, down, plane[up], plane[down])] += d
	}
}

// better reports whether v replaces the maximum so far, m: when it is
// larger, or when m is NaN and v is not.
func better[T Float](v, m T) bool { return v > m || (m != m && v == v) }

// pick returns b if better(vb, va), else a, computed without a branch.
func pick[T Float](a, b int, va, vb T) int {
	take := b2i(vb > va) | b2i(va != va)&b2i(vb == vb)
	return a + (b-a)*take
}

// AvgPool writes the mean of each window of x to y: the window's elements
// added in row-major order, then scaled by 1/(KH·KW).
func AvgPool[T Float](g Pool, y, x []T) {
	launch[avgPoolJob[T]](g.Planes, poolChunk, avgPoolJob[T]{g: g, out: y, x: x, scale: 1 / T(g.KH*g.KW)})
}

type avgPoolJob[T Float] poolJob[T]

func (j *avgPoolJob[T]) chunk(_, lo, hi int) {
	g := j.g
	for c := lo; c < hi; c++ {
		plane, out := j.x[c*g.H*g.W:(c+1)*g.H*g.W], j.out[c*g.OH*g.OW:(c+1)*g.OH*g.OW]
		for i := range g.OH {
			for jj := range g.OW {
				top := i*g.SH*g.W + jj*g.SW
				var s T
				for p := range g.KH {
					for _, v := range plane[top+p*g.W : top+p*g.W+g.KW] {
						s += v
					}
				}
				out[i*g.OW+jj] = s * j.scale
			}
		}
	}
}

// AvgPoolBackward spreads each dy evenly over its window, adding where
// windows overlap.
func AvgPoolBackward[T Float](g Pool, dx, dy []T) {
	launch[avgPoolBackwardJob[T]](g.Planes, poolChunk, avgPoolBackwardJob[T]{g: g, out: dx, dy: dy, scale: 1 / T(g.KH*g.KW)})
}

type avgPoolBackwardJob[T Float] poolJob[T]

func (j *avgPoolBackwardJob[T]) chunk(_, lo, hi int) {
	g := j.g
	for c := lo; c < hi; c++ {
		dplane, grad := j.out[c*g.H*g.W:(c+1)*g.H*g.W], j.dy[c*g.OH*g.OW:(c+1)*g.OH*g.OW]
		clear(dplane)
		for i := range g.OH {
			for jj := range g.OW {
				d := grad[i*g.OW+jj] * j.scale
				top := i*g.SH*g.W + jj*g.SW
				for p := range g.KH {
					row := dplane[top+p*g.W : top+p*g.W+g.KW]
					for q := range row {
						row[q] += d
					}
				}
			}
		}
	}
}

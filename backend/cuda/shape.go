package cuda

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Gorgonia's shape ops: G.Reshape (a copy into the reshaped value's
// buffer), G.Transpose, G.Slice and the scatter that is its gradient,
// G.Concat, and the repeats that broadcasting (G.BroadcastAdd, ...) and
// the gradients of sums are made of. All but the reshape are one kernel,
// strided_copy, on a view of up to 4 axes: each element of the view is
// read at one stride per axis and written at another, and a repeat
// divides its coordinate along the repeated axis by the repeat count.

const shapeSource = `
// strided_copy writes, for each element c = (c0, c1, c2, c3) of a
// row-major n-element view of d0×d1×d2×d3 (d0 = n / (d1·d2·d3)),
// y[Σ c_k·ys_k] = x[Σ (c_k / r_k)·xs_k].
extern "C" __global__ void strided_copy(float *y, const float *x, int n, int d1, int d2, int d3,
                                        int ys0, int ys1, int ys2, int ys3, int xs0, int xs1, int xs2,
                                        int xs3, int r0, int r1, int r2, int r3) {
	FOR_EACH(i, n) {
		int c3 = i % d3, rest = i / d3;
		int c2 = rest % d2;
		rest /= d2;
		int c1 = rest % d1, c0 = rest / d1;
		y[c0 * ys0 + c1 * ys1 + c2 * ys2 + c3 * ys3] =
			x[c0 / r0 * xs0 + c1 / r1 * xs1 + c2 / r2 * xs2 + c3 / r3 * xs3];
	}
}

`

// maxViewAxes is the most axes strided_copy and the reductions over axes
// take, after merging neighbours.
const maxViewAxes = 4

func init() {
	lowerMatching(gorgoniaOp("reshapeOp"), func(*G.Node, []*G.Node) (instrArgs, error) { return copyArgs{}, nil })
	lowerMatching(gorgoniaOp("transposeOp"), lowerTranspose)
	lowerMatching(gorgoniaOp("repeatOp"), lowerRepeat)
	lowerMatching(gorgoniaOp("sliceOp"), lowerSlice)
	lowerMatching(gorgoniaOp("sliceIncrOp"), lowerSlice)
	lowerMatching(gorgoniaOp("concatOp"), lowerConcat)
}

// view is strided_copy's index space: per axis its size, the strides of
// y and x, and the divisor of the coordinate that reads x.
type view struct {
	dims, ys, xs, div [maxViewAxes]int
}

// newView makes a view of the axes dims, dropping those of size 1 and
// merging neighbours that are contiguous in both y and x, or says that
// more than maxViewAxes remain. div may be nil (no repeats).
func newView(dims, ys, xs, div []int) (view, error) {
	type axis struct{ d, ys, xs, div int }
	var axes []axis
	for i, d := range dims {
		a := axis{d, ys[i], xs[i], 1}
		if div != nil {
			a.div = div[i]
		}
		if d == 1 {
			continue
		}
		if k := len(axes) - 1; k >= 0 && a.div == 1 && axes[k].div == 1 &&
			axes[k].ys == a.ys*a.d && axes[k].xs == a.xs*a.d {
			axes[k] = axis{axes[k].d * a.d, a.ys, a.xs, 1}
			continue
		}
		axes = append(axes, a)
	}
	if len(axes) > maxViewAxes {
		return view{}, fmt.Errorf("%d axes that do not merge, more than the %d the kernels take", len(axes), maxViewAxes)
	}
	v := view{}
	pad := maxViewAxes - len(axes)
	for i := range maxViewAxes {
		a := axis{1, 0, 0, 1}
		if i >= pad {
			a = axes[i-pad]
		}
		v.dims[i], v.ys[i], v.xs[i], v.div[i] = a.d, a.ys, a.xs, a.div
	}
	return v, nil
}

// size is the number of elements of v.
func (v view) size() int { return v.dims[0] * v.dims[1] * v.dims[2] * v.dims[3] }

// copyCall is the strided_copy of v from x to y.
func (v view) copyCall(y, x region) call {
	return kernel("strided_copy", v.size(), y, x, v.size(), v.dims[1], v.dims[2], v.dims[3],
		v.ys[0], v.ys[1], v.ys[2], v.ys[3], v.xs[0], v.xs[1], v.xs[2], v.xs[3],
		v.div[0], v.div[1], v.div[2], v.div[3])
}

// at is r moved on by off elements.
func at(r region, off int) region { return region{buf: r.buf, off: r.off + off} }

func lowerTranspose(n *G.Node, kids []*G.Node) (instrArgs, error) {
	pattern, err := opInts(n.Op(), "pattern")
	if err != nil {
		return nil, err
	}
	in, out := kids[0].Shape(), n.Shape()
	if len(pattern) != in.Dims() || out.Dims() != in.Dims() {
		return nil, fmt.Errorf("pattern %v for a value of shape %v", pattern, in)
	}
	inStrides := strides(in)
	xs := make([]int, len(pattern))
	for i, p := range pattern {
		xs[i] = inStrides[p]
	}
	v, err := newView(out, strides(out), xs, nil)
	return viewArgs{v}, err
}

// lowerRepeat lowers the repeat of each element of the input along an
// axis: Gorgonia's broadcast of an axis of size 1, as in G.BroadcastAdd
// and the gradient of G.Sum.
func lowerRepeat(n *G.Node, kids []*G.Node) (instrArgs, error) {
	along, err := opInt(n.Op(), "along")
	if err != nil {
		return nil, err
	}
	out := n.Shape()
	inSize := kids[0].Shape().TotalSize()
	if along < 0 || along >= out.Dims() || inSize == 0 || out.TotalSize()%inSize != 0 || out[along]%(out.TotalSize()/inSize) != 0 {
		return nil, fmt.Errorf("a repeat along axis %d of %v into %v", along, kids[0].Shape(), out)
	}
	rep := out.TotalSize() / inSize
	in := out.Clone() // the input, seen with the output's axes
	in[along] /= rep
	div := make([]int, out.Dims())
	for i := range div {
		div[i] = 1
	}
	div[along] = rep
	v, err := newView(out, strides(out), strides(in), div)
	return viewArgs{v}, err
}

// lowerSlice lowers a slice along one axis (G.Slice makes one per axis
// sliced), and its gradient, which writes the incoming gradient into a
// zero tensor of the sliced one's shape.
func lowerSlice(n *G.Node, kids []*G.Node) (instrArgs, error) {
	sl, ok := n.Op().(interface{ IsSlice() tensor.Slice })
	if !ok {
		return nil, fmt.Errorf("%T says no slice", n.Op())
	}
	along, err := opInt(n.Op(), "along")
	if err != nil {
		return nil, err
	}
	whole := kids[0].Shape()
	if along < 0 || along >= whole.Dims() {
		return nil, fmt.Errorf("a slice along axis %d of %v", along, whole)
	}
	start, end, step := 0, whole[along], 1
	if s := sl.IsSlice(); s != nil && s.End() > s.Start() {
		start, end, step = s.Start(), min(s.End(), whole[along]), max(s.Step(), 1)
	}
	part := whole.Clone()
	part[along] = (end - start + step - 1) / step
	if sliced := n.Shape(); len(kids) == 1 && part.TotalSize() != sliced.TotalSize() {
		// Gorgonia's shapes count (end − start) / step elements, its
		// values one more where step does not divide end − start.
		return nil, fmt.Errorf("a slice %d:%d:%d of %v into %v: use a step that divides end − start", start, end, step, whole, sliced)
	}
	wholeStrides := strides(whole)
	offset := start * wholeStrides[along]
	wholeStrides[along] *= step
	if len(kids) == 2 { // the gradient: part into whole
		v, err := newView(part, wholeStrides, strides(part), nil)
		return sliceArgs{view: v, scatter: true, offset: offset}, err
	}
	v, err := newView(part, strides(part), wholeStrides, nil)
	return sliceArgs{view: v, offset: offset}, err
}

func lowerConcat(n *G.Node, kids []*G.Node) (instrArgs, error) {
	axis, err := opInt(n.Op(), "axis")
	if err != nil {
		return nil, err
	}
	out := n.Shape()
	if axis < 0 || axis >= out.Dims() {
		return nil, fmt.Errorf("a concatenation along axis %d into %v", axis, out)
	}
	outStrides := strides(out)
	a := concatArgs{}
	off := 0
	for _, kid := range kids {
		part := kid.Shape()
		v, err := newView(part, outStrides, strides(part), nil)
		if err != nil {
			return nil, err
		}
		a.parts = append(a.parts, v)
		a.offsets = append(a.offsets, off)
		off += part[axis] * outStrides[axis]
	}
	return a, nil
}

// viewArgs copies the input into the value through a view.
type viewArgs struct{ view }

func (a viewArgs) calls(in *instr, _ int, _ bool) []call {
	return []call{a.copyCall(in.result(), in.arg(0))}
}

// sliceArgs copies a slice, from offset of the input; or, as the
// gradient (scatter), zeroes the value and copies its second input into
// the slice of it from offset on.
type sliceArgs struct {
	view
	scatter bool
	offset  int
}

func (a sliceArgs) calls(in *instr, _ int, _ bool) []call {
	if !a.scatter {
		return []call{a.copyCall(in.result(), at(in.arg(0), a.offset))}
	}
	n := in.size()
	return []call{kernel("fill", n, in.result(), n, float32(0)), a.copyCall(at(in.result(), a.offset), in.arg(1))}
}

// concatArgs copies each input into its place in the value.
type concatArgs struct {
	parts   []view
	offsets []int
}

func (a concatArgs) calls(in *instr, _ int, _ bool) []call {
	var calls []call
	for i, v := range a.parts {
		calls = append(calls, v.copyCall(at(in.result(), a.offsets[i]), in.arg(i)))
	}
	return calls
}

package cpukernels

// A convolution followed by a bias, ReLU and 2×2 max pooling (ReLUPool)
// need not write its output at all: each image's maps can be pooled while
// they are in the core's cache, and their gradient dz, which the
// convolution's gradients read, made there from the pooling's routes.
// ConvReLUPool and ConvReLUPoolBackward run the block so, image by image,
// with the bits of the kernels run one after the other.

// ConvReLUPool computes ConvForward's y for pool (a ReLUPool over y's
// N×F maps, pool.X unused) and pools it, one image at a time: an image's
// y goes into a buffer that stays in the core's cache and is pooled from
// there, so that y, four times the pooled output, never goes to memory.
// The bits are those of ConvForward then pool.Planes.
func ConvReLUPool(g Conv, pool *ReLUPool, x, w []float32) {
	job := convJob[float32]{g: g, in: x, w: w, pool: pool}
	if p := packNN(false, g.F, g.colRows(), w, g.colRows()); p != nil {
		defer putScratch(p)
		job.packed = *p
	}
	launch[convJob[float32]](g.N, 1, job)
}

// poolImage runs j.pool on image n's maps, y.
func (j *convJob[T]) poolImage(n int, y []float32) {
	k := *j.pool
	outs := j.g.F * (k.H / 2) * (k.W / 2)
	k.Layout.N, k.X = 1, y
	k.Y, k.Route = k.Y[n*outs:(n+1)*outs], k.Route[n*outs:(n+1)*outs]
	k.Planes(0, j.g.F)
}

// ConvReLUPoolBackward is the gradient of ConvReLUPool with a bias: from
// Pool's Route and Dy it computes, an image at a time, the dz that
// ReLUPoolBackward writes, into a buffer that stays in cache, and from it
// Pool.DBias (ReLUPoolBackward's), DW (ConvFilterGrad's) and, when DX is
// not nil, ConvInputGrad's dx, with their bits. dz, the size of the
// convolution's output, is never written to memory. Pool.DZ is not used.
type ConvReLUPoolBackward struct {
	Conv   Conv
	Pool   ReLUPoolBackward
	X, W   []float32 // the convolution's input and filters
	DW, DX []float32 // DX nil: no input gradient
}

// Run computes the gradients, chunks of images in parallel as
// ConvFilterGrad chunks them.
func (k *ConvReLUPoolBackward) Run() {
	g := k.Conv
	chunks := (g.N + filterGradChunk - 1) / filterGradChunk
	partials := getScratch[float32](chunks * len(k.DW))
	defer putScratch(partials)
	sums := getScratch[float64](g.N * g.F) // Sum of each map of dz
	defer putScratch(sums)
	job := convPoolGradJob{k: k, partials: *partials, sums: *sums}
	if k.DX != nil {
		if p := packNN(true, g.colRows(), g.F, k.W, g.colRows()); p != nil {
			defer putScratch(p)
			job.packed = *p
		}
	}
	launch[convPoolGradJob](g.N, filterGradChunk, job)
	if g.N == 0 {
		clear(k.DW)
	} else {
		addPartials(g, k.DW, *partials)
	}
	if k.Pool.DBias != nil {
		for c := range g.F {
			var s float64
			for n := range g.N {
				s += (*sums)[n*g.F+c]
			}
			k.Pool.DBias[c] = float32(s)
		}
	}
}

// convPoolGradJob is a call of ConvReLUPoolBackward.Run: partials as
// ConvFilterGrad's, each map's sum of dz, and the filters packed for the
// input gradient's product or nil.
type convPoolGradJob struct {
	k                *ConvReLUPoolBackward
	partials, packed []float32
	sums             []float64
}

func (j *convPoolGradJob) chunk(c, lo, hi int) {
	k, g := j.k, j.k.Conv
	out := j.partials[c*len(k.DW) : (c+1)*len(k.DW)]
	col := getScratch[float32](g.colRows() * g.colCols())
	scratch := getScratch[float32](g.outSize())
	dz := *scratch
	maps, windows := g.OH*g.OW, (g.OH/2)*(g.OW/2)
	for n := lo; n < hi; n++ {
		for f := range g.F {
			p := n*g.F + f
			plane := dz[f*maps : (f+1)*maps]
			k.Pool.plane(plane, k.Pool.Dy[p*windows:(p+1)*windows], k.Pool.Route[p*windows:(p+1)*windows])
			j.sums[p] = Sum(plane)
		}
		im2col(g, *col, k.X[n*g.inSize():(n+1)*g.inSize()])
		beta := float32(1)
		if n == lo {
			beta = 0
		}
		convGemmNT(g.colRows(), g.F, g.colCols(), *col, g.colCols(), dz, g.colCols(), beta, out, g.F)
		if k.DX != nil {
			img := k.DX[n*g.inSize() : (n+1)*g.inSize()]
			clear(img)
			convGemmNN(true, g.colRows(), g.colCols(), g.F, k.W, g.colRows(), dz, g.colCols(), *col, g.colCols(), j.packed)
			col2im(g, img, *col)
		}
	}
	putScratch(col)
	putScratch(scratch)
}

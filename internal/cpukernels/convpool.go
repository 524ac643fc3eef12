package cpukernels

// A convolution followed by a bias, ReLU and 2×2 max pooling (ReLUPool)
// need not write its output at all: each image's maps can be pooled while
// they are in the core's cache, and their gradient dz, which the
// convolution's gradients read, made there from the pooling's routes.
// ConvReLUPool and ConvReLUPoolBackward run the block so, image by image,
// with the bits of the kernels run one after the other wherever the
// products run on the project's AVX-512 kernels or on OpenBLAS (gonum's
// products round by their operands' alignment, which a buffer in cache
// need not share with a slice of the whole batch). A batch
// normalisation in place of the bias needs the whole batch's output for
// its statistics, and its gradient the whole batch's sums, before any
// image's dx: its output is written, but its gradients are still made in
// cache (ConvReLUPoolBackward with Norm).

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

// ConvBatchNormStats computes ConvForward's y and BatchNormStats of y
// (stats, 2×F), each image's runs' moments (RunStats) taken while its
// maps are in cache: y is written but not read back. The bits are those
// of ConvForward then BatchNormStats.
func ConvBatchNormStats[T Float](g Conv, y, stats, x, w []T) {
	runs := getScratch[float64](2 * g.N * g.F)
	defer putScratch(runs)
	job := convJob[T]{g: g, out: y, in: x, w: w, runs: *runs}
	if p := packNN(false, g.F, g.colRows(), w, g.colRows()); p != nil {
		defer putScratch(p)
		job.packed = *p
	}
	launch[convJob[T]](g.N, 1, job)
	BatchNormStatsOfRuns(Channels{N: g.N, C: g.F, Inner: g.OH * g.OW}, stats, *runs)
}

// poolImage runs j.pool on image n's maps, y.
func (j *convJob[T]) poolImage(n int, y []float32) {
	k := *j.pool
	outs := j.g.F * (k.H / 2) * (k.W / 2)
	k.Layout.N, k.X = 1, y
	k.Y, k.Route = k.Y[n*outs:(n+1)*outs], k.Route[n*outs:(n+1)*outs]
	k.Planes(0, j.g.F)
}

// ConvReLUPoolBackward is the gradient of a convolution followed by a
// bias or, while training, a batch normalisation, then ReLUPool: from
// Pool's Route and Dy it computes, an image at a time, the gradient of
// the convolution's output into a buffer that stays in cache, and from it
// DW (ConvFilterGrad's) and, when DX is not nil, ConvInputGrad's dx, with
// the bits of the kernels run one after the other. That gradient, the
// size of the convolution's output, is never written to memory; Pool.DZ
// is not used.
//
// With a bias (Norm nil) it is the dz that ReLUPoolBackward writes, and
// Pool.DBias, when not nil, gets ReLUPoolBackward's bias gradient. With
// Norm, the block's batch normalisation of the convolution's output
// Norm.X, a first pass over the channels computes Norm's DGamma and DBeta
// and the map from each channel's dz to its dx (ReLUPoolNormBackward's);
// the images' pass then makes each map's dz again, in cache, and its dx
// from it. Norm's Dy and DX are not used.
type ConvReLUPoolBackward struct {
	Conv   Conv
	Pool   ReLUPoolBackward
	Norm   *BatchNormBackward
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
	if k.Norm != nil {
		norm := getScratch[float64](4 * g.F)
		defer putScratch(norm)
		job.norm = *norm
		launch[normSumsJob](g.F, 1, normSumsJob{k: ReLUPoolNormBackward{Pool: k.Pool, Norm: *k.Norm}, out: job.norm})
	}
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
	if k.Pool.DBias != nil && k.Norm == nil {
		for c := range g.F {
			var s float64
			for n := range g.N {
				s += (*sums)[n*g.F+c]
			}
			k.Pool.DBias[c] = float32(s)
		}
	}
}

// normSumsJob is ConvReLUPoolBackward's pass over the channels with
// batch normalisation: out gets each channel's map from dz to dx, as the
// four values of a gradX.
type normSumsJob struct {
	k   ReLUPoolNormBackward
	out []float64
}

func (j *normSumsJob) chunk(c, _, _ int) {
	scratch := getScratch[float32](j.k.Pool.Layout.Inner)
	f := j.k.sums(c, func(int) []float32 { return *scratch })
	putScratch(scratch)
	copy(j.out[4*c:4*c+4], []float64{f.k, f.a, f.b, f.mean})
}

// convPoolGradJob is a call of ConvReLUPoolBackward.Run: partials as
// ConvFilterGrad's, each map's sum of dz, the filters packed for the input
// gradient's product or nil, and with batch normalisation each channel's
// map from dz to dx.
type convPoolGradJob struct {
	k                *ConvReLUPoolBackward
	partials, packed []float32
	sums             []float64
	norm             []float64 // 4 per channel: k, a, b and mean of its gradX
}

func (j *convPoolGradJob) chunk(c, lo, hi int) {
	k, g := j.k, j.k.Conv
	out := j.partials[c*len(k.DW) : (c+1)*len(k.DW)]
	col := getScratch[float32](g.colRows() * g.colCols())
	scratch := getScratch[float32](g.outSize())
	dy := *scratch // the convolution's output's gradient, image by image
	for n := lo; n < hi; n++ {
		j.outputGrad(dy, n)
		im2col(g, *col, k.X[n*g.inSize():(n+1)*g.inSize()])
		beta := float32(1)
		if n == lo {
			beta = 0
		}
		convGemmNT(g.colRows(), g.F, g.colCols(), *col, g.colCols(), dy, g.colCols(), beta, out, g.F)
		if k.DX != nil {
			img := k.DX[n*g.inSize() : (n+1)*g.inSize()]
			clear(img)
			convGemmNN(true, g.colRows(), g.colCols(), g.F, k.W, g.colRows(), dy, g.colCols(), *col, g.colCols(), j.packed)
			col2im(g, img, *col)
		}
	}
	putScratch(col)
	putScratch(scratch)
}

// outputGrad writes into dy the gradient of image n's convolution output:
// dz, and each map's Sum; or with batch normalisation its dx, each map's
// dz made first in a buffer of its own.
func (j *convPoolGradJob) outputGrad(dy []float32, n int) {
	k, g := j.k, j.k.Conv
	maps, windows := g.OH*g.OW, (g.OH/2)*(g.OW/2)
	var dz *[]float32
	if j.norm != nil {
		dz = getScratch[float32](maps)
		defer putScratch(dz)
	}
	for f := range g.F {
		p := n*g.F + f
		plane := dy[f*maps : (f+1)*maps]
		if j.norm == nil {
			k.Pool.plane(plane, k.Pool.Dy[p*windows:(p+1)*windows], k.Pool.Route[p*windows:(p+1)*windows])
			j.sums[p] = Sum(plane)
			continue
		}
		k.Pool.plane(*dz, k.Pool.Dy[p*windows:(p+1)*windows], k.Pool.Route[p*windows:(p+1)*windows])
		c := j.norm[4*f : 4*f+4]
		gradXRun(gradX{k: c[0], a: c[1], b: c[2], mean: c[3]}, plane, k.Norm.X[p*maps:(p+1)*maps], *dz)
	}
}

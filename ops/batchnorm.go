package ops

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BatchNormOp is batch normalisation over the channels (axis 1) of x, a
// batch of feature maps N×C×H×W or of features N×C: with inputs
// (x, stats, γ, β, running mean, running var), stats the batch's
// statistics (BatchNormStatsOp of x) and the last four of C values,
//
//	y = γ·(x − μ)/√(σ² + ε) + β   per channel
//
// where, while training, μ and σ² are the mean and (biased) variance of
// the channel over the batch (the N·H·W values), and in evaluation and
// prediction the running mean and variance. It implements ModeDoer: Do
// and UsePreallocDo compute the inference result, ModeDo the mode's.
//
// The batch's statistics are a node of their own, computed once for the
// forward pass, the gradients and the running statistics. The running
// statistics are not changed by the op: BatchNormRunningOp computes their
// new values from a training batch's, which a backend stores back after
// each training step (backend.Spec.Updates).
//
// Its gradients (BatchNormGradOp for x, BatchNormGammaGradOp for γ, the
// channel sums of dy for β) follow the mode too: while training μ and σ²
// depend on x, and BatchNormGradOp's dx includes that dependence, so no
// gradient flows through the statistics node; otherwise the op is affine.
// The running statistics have none.
type BatchNormOp struct {
	pure
	Eps  float64 // ε, added to the variance
	Dims int     // 2 (N×C) or 4 (N×C×H×W)
}

// BatchNorm returns the node of the batch normalisation of x with its
// batch statistics stats (BatchNormStats(x)), scale gamma, shift beta and
// the running statistics mean and variance.
func BatchNorm(x, stats, gamma, beta, mean, variance *G.Node, eps float64) (*G.Node, error) {
	if !(eps > 0) {
		return nil, fmt.Errorf("ops: batch normalisation: ε %v is not positive", eps)
	}
	return apply(BatchNormOp{Eps: eps, Dims: x.Dims()}, x, stats, gamma, beta, mean, variance)
}

// bnGeom is the layout of a batch normalisation's input, or of any
// per-channel reduction's: n samples of c channels of inner values each
// (H·W, or 1 for N×C).
type bnGeom struct{ n, c, inner int }

// count is the number of values per channel.
func (g bnGeom) count() int { return g.n * g.inner }

// bnGeometry checks x (N×C or N×C×H×W) and returns its layout.
func bnGeometry(op fmt.Stringer, x tensor.Shape) (bnGeom, error) {
	if d := x.Dims(); d != 2 && d != 4 {
		return bnGeom{}, fmt.Errorf("%w: %v needs N×C or N×C×H×W, got %v", ErrShape, op, x.Clone())
	}
	g := bnGeom{n: x[0], c: x[1], inner: 1}
	if x.Dims() == 4 {
		g.inner = x[2] * x[3]
	}
	return g, nil
}

// checkChannels checks that each of vs is a vector of g.c values.
func checkChannels(op fmt.Stringer, g bnGeom, vs ...tensor.Shape) error {
	for _, v := range vs {
		if v.TotalSize() != g.c || v.Dims() != 1 {
			return fmt.Errorf("%w: %v: %v for %d channels", ErrShape, op, v.Clone(), g.c)
		}
	}
	return nil
}

// Arity is 6.
func (op BatchNormOp) Arity() int { return 6 }

// Type is Tensor d a → Matrix a → Vector a → Vector a → Vector a → Vector a → Tensor d a.
func (op BatchNormOp) Type() hm.Type { return fnType(op.Dims, 2, 1, 1, 1, 1, op.Dims) }

// InferShape returns the shape of x.
func (op BatchNormOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, 6, ds)
	if err != nil {
		return nil, err
	}
	if _, err := bnCheck(op, s[0], s[1], s[2:]...); err != nil {
		return nil, err
	}
	return s[0].Clone(), nil
}

// bnCheck checks x, its statistics (2×C) and the per-channel inputs, and
// returns x's layout.
func bnCheck(op fmt.Stringer, x, stats tensor.Shape, channels ...tensor.Shape) (bnGeom, error) {
	g, err := bnGeometry(op, x)
	if err != nil {
		return g, err
	}
	if stats.Dims() != 2 || stats[0] != 2 || stats[1] != g.c {
		return g, fmt.Errorf("%w: %v: statistics %v for %d channels, want 2×%d", ErrShape, op, stats.Clone(), g.c, g.c)
	}
	return g, checkChannels(op, g, channels...)
}

// Do normalises with the running statistics.
func (op BatchNormOp) Do(vs ...G.Value) (G.Value, error) { return op.ModeDo(Mode{}, nil, vs...) }

// UsePreallocDo normalises with the running statistics into prealloc.
func (op BatchNormOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return op.ModeDo(Mode{}, p, vs...)
}

// ModeDo normalises with the batch's statistics while training, with the
// running ones otherwise.
func (op BatchNormOp) ModeDo(mode Mode, p G.Value, vs ...G.Value) (G.Value, error) {
	return bnDo(op, p, vs, func(s []tensor.Shape) (bnGeom, tensor.Shape, error) {
		g, err := bnCheck(op, s[0], s[1], s[2:]...)
		return g, s[0], err
	}, func(g bnGeom, y []float32, in [][]float32) {
		bnForward(g, op.Eps, mode.Train, y, in[0], in[1], in[2], in[3], in[4], in[5])
	}, func(g bnGeom, y []float64, in [][]float64) {
		bnForward(g, op.Eps, mode.Train, y, in[0], in[1], in[2], in[3], in[4], in[5])
	})
}

// bnDo runs a batch normalisation op: check returns the layout and the
// output's shape after checking the inputs' shapes; the kernel for the
// inputs' dtype gets the output's elements and each input's.
func bnDo[O G.Op](op O, p G.Value, vs []G.Value, check func([]tensor.Shape) (bnGeom, tensor.Shape, error),
	k32 func(bnGeom, []float32, [][]float32), k64 func(bnGeom, []float64, [][]float64)) (G.Value, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, err
	}
	shapes := make([]tensor.Shape, len(vs))
	for i, v := range vs {
		shapes[i] = v.Shape()
	}
	g, outShape, err := check(shapes)
	if err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, vs...)
	if err != nil {
		return nil, err
	}
	out, err := output(op, p, dt, outShape)
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		k32(g, slice[float32](out), elementsOf(vs, slice[float32]))
	} else {
		k64(g, slice[float64](out), elementsOf(vs, slice[float64]))
	}
	return out, nil
}

// elementsOf returns the elements of each of vs.
func elementsOf[T Float](vs []G.Value, f func(G.Value) []T) [][]T {
	out := make([][]T, len(vs))
	for i, v := range vs {
		out[i] = f(v)
	}
	return out
}

// bnChannel calls f(lo, hi) for each run of channel c's values in x.
func bnChannel(g bnGeom, c int, f func(lo, hi int)) {
	for n := range g.n {
		lo := (n*g.c + c) * g.inner
		f(lo, lo+g.inner)
	}
}

// bnStats returns the mean and biased variance of channel c of x, added
// in float64 in a fixed order, the variance from the values' distances to
// the mean (two passes: no cancellation).
func bnStats[T Float](g bnGeom, c int, x []T) (mean, variance float64) {
	var s float64
	bnChannel(g, c, func(lo, hi int) { s += sum(x[lo:hi]) })
	mean = s / float64(g.count())
	var d float64
	bnChannel(g, c, func(lo, hi int) { d += sumSquaredDev(x[lo:hi], mean) })
	return mean, d / float64(g.count())
}

// bnNorm returns the mean and 1/√(σ² + ε) that channel c is normalised
// with: the batch's (from stats) while training, the running ones
// otherwise.
func bnNorm[T Float](g bnGeom, eps float64, train bool, c int, stats, rmean, rvar []T) (mean, inv float64) {
	mean, variance := float64(rmean[c]), float64(rvar[c])
	if train {
		mean, variance = float64(stats[c]), float64(stats[g.c+c])
	}
	return mean, 1 / math.Sqrt(variance+eps)
}

func bnForward[T Float](g bnGeom, eps float64, train bool, y, x, stats, gamma, beta, rmean, rvar []T) {
	forChunks(g.c, 1, func(c, _, _ int) {
		mean, inv := bnNorm(g, eps, train, c, stats, rmean, rvar)
		scale := float64(gamma[c]) * inv
		shift := float64(beta[c]) - mean*scale
		bnChannel(g, c, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				y[i] = T(float64(x[i])*scale + shift)
			}
		})
	})
}

// DiffWRT reports x, γ and β differentiable; the batch statistics (whose
// effect dx includes) and the running ones not.
func (op BatchNormOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for _, i := range []int{0, 2, 3} {
		if i < n {
			d[i] = true
		}
	}
	return d
}

// SymDiff returns BatchNormGrad(x, stats, γ, mean, var, dy) for x,
// BatchNormGammaGrad(x, stats, mean, var, dy) for γ and the channel sums
// of dy for β.
func (op BatchNormOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(BatchNormGradOp{Eps: op.Eps, Dims: op.Dims}, in[0], in[1], in[2], in[4], in[5], grad)
	if err != nil {
		return nil, err
	}
	dg, err := apply(BatchNormGammaGradOp{Eps: op.Eps, Dims: op.Dims}, in[0], in[1], in[4], in[5], grad)
	if err != nil {
		return nil, err
	}
	var db *G.Node
	if op.Dims == 4 {
		db, err = apply(SumChannelsOp{}, grad)
	} else {
		db, err = apply(SumRowsOp{}, grad)
	}
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, nil, dg, db, nil, nil}, nil
}

func (op BatchNormOp) String() string        { return fmt.Sprintf("BatchNorm(ε %g, %d-D)", op.Eps, op.Dims) }
func (op BatchNormOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op BatchNormOp) Hashcode() uint32      { return hashOf(op) }

// BatchNormGradOp is a BatchNormOp's gradient with respect to x, from
// (x, stats, γ, running mean, running var, dy). While training, per channel,
// with x̂ = (x − μ)/√(σ² + ε) over the batch's M values,
//
//	dx = γ/√(σ² + ε) · (dy − Σdy/M − x̂·Σ(dy·x̂)/M)
//
// and otherwise dx = γ·dy/√(var + ε), the running variance's.
type BatchNormGradOp struct {
	pure
	notDiffable
	Eps  float64
	Dims int
}

// Arity is 6.
func (op BatchNormGradOp) Arity() int { return 6 }

// Type is Tensor d a → Matrix a → Vector a → Vector a → Vector a → Tensor d a → Tensor d a.
func (op BatchNormGradOp) Type() hm.Type { return fnType(op.Dims, 2, 1, 1, 1, op.Dims, op.Dims) }

// InferShape returns the shape of x.
func (op BatchNormGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, 6, ds)
	if err != nil {
		return nil, err
	}
	if _, err := bnGradCheck(op, s[0], s[1], s[5], s[2:5]...); err != nil {
		return nil, err
	}
	return s[0].Clone(), nil
}

// bnGradCheck checks a gradient op's x, statistics, dy and per-channel
// inputs.
func bnGradCheck(op fmt.Stringer, x, stats, dy tensor.Shape, channels ...tensor.Shape) (bnGeom, error) {
	g, err := bnCheck(op, x, stats, channels...)
	if err != nil {
		return g, err
	}
	if !dy.Eq(x) {
		return g, fmt.Errorf("%w: %v: gradient %v for x %v", ErrShape, op, dy.Clone(), x.Clone())
	}
	return g, nil
}

// Do computes the inference dx.
func (op BatchNormGradOp) Do(vs ...G.Value) (G.Value, error) { return op.ModeDo(Mode{}, nil, vs...) }

// UsePreallocDo computes the inference dx into prealloc.
func (op BatchNormGradOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return op.ModeDo(Mode{}, p, vs...)
}

// ModeDo computes dx in mode.
func (op BatchNormGradOp) ModeDo(mode Mode, p G.Value, vs ...G.Value) (G.Value, error) {
	return bnDo(op, p, vs, func(s []tensor.Shape) (bnGeom, tensor.Shape, error) {
		g, err := bnGradCheck(op, s[0], s[1], s[5], s[2], s[3], s[4])
		return g, s[0], err
	}, func(g bnGeom, dx []float32, in [][]float32) {
		bnGradX(g, op.Eps, mode.Train, dx, in[0], in[1], in[2], in[3], in[4], in[5])
	}, func(g bnGeom, dx []float64, in [][]float64) {
		bnGradX(g, op.Eps, mode.Train, dx, in[0], in[1], in[2], in[3], in[4], in[5])
	})
}

// bnDySums returns the mean and 1/√(σ² + ε) of channel c (bnNorm), Σdy
// and Σ(dy·x̂) over it.
func bnDySums[T Float](g bnGeom, eps float64, train bool, c int, x, stats, rmean, rvar, dy []T) (mean, inv, sdy, sdyx float64) {
	mean, inv = bnNorm(g, eps, train, c, stats, rmean, rvar)
	bnChannel(g, c, func(lo, hi int) {
		a, b := sumGradDev(dy[lo:hi], x[lo:hi], mean)
		sdy += a
		sdyx += b
	})
	sdyx *= inv
	return mean, inv, sdy, sdyx
}

func bnGradX[T Float](g bnGeom, eps float64, train bool, dx, x, stats, gamma, rmean, rvar, dy []T) {
	forChunks(g.c, 1, func(c, _, _ int) {
		if !train {
			k := float64(gamma[c]) / math.Sqrt(float64(rvar[c])+eps)
			bnChannel(g, c, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					dx[i] = T(k * float64(dy[i]))
				}
			})
			return
		}
		bnTrainChannel(g, eps, c, dx, x, stats, gamma, rmean, rvar, dy)
	})
}

// bnTrainChannel writes channel c's dx while training and returns its dγ
// (Σ dy·x̂, as bnGradGamma) and Σdy (dβ, as sumChannels adds it: the same
// four-lane sum of each run, the runs added in order).
func bnTrainChannel[T Float](g bnGeom, eps float64, c int, dx, x, stats, gamma, rmean, rvar, dy []T) (dgamma, sdy float64) {
	mean, inv, sdy, sdyx := bnDySums(g, eps, true, c, x, stats, rmean, rvar, dy)
	m := float64(g.count())
	k := float64(gamma[c]) * inv
	a, b := sdy/m, sdyx/m*inv // dx = k·(dy − a − (x − μ)·b)
	bnChannel(g, c, func(lo, hi int) {
		out := dx[lo:hi]
		xs, dys := x[lo:hi][:len(out)], dy[lo:hi][:len(out)]
		for i := range out {
			out[i] = T(k * (float64(dys[i]) - a - (float64(xs[i])-mean)*b))
		}
	})
	return sdyx, sdy
}

// BatchNormTrainBackward computes at once, for the channels lo ≤ ch < hi of
// a batch normalisation while training, over x of n samples of c channels
// of inner values, what BatchNormGradOp writes to dx, BatchNormGammaGradOp
// to dgamma and, when dbeta is not nil, SumChannelsOp of dy to dbeta (the
// β gradient of N×C×H×W maps), with the same bits. An executor that fuses
// the three reads each channel once for the sums they share.
func BatchNormTrainBackward(eps float64, n, c, inner, lo, hi int, dx, dgamma, dbeta, x, stats, gamma, rmean, rvar, dy []float32) {
	g := bnGeom{n: n, c: c, inner: inner}
	for ch := lo; ch < hi; ch++ {
		dg, db := bnTrainChannel(g, eps, ch, dx, x, stats, gamma, rmean, rvar, dy)
		dgamma[ch] = float32(dg)
		if dbeta != nil {
			dbeta[ch] = float32(db)
		}
	}
}

func (op BatchNormGradOp) String() string {
	return fmt.Sprintf("BatchNormGrad(ε %g, %d-D)", op.Eps, op.Dims)
}
func (op BatchNormGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op BatchNormGradOp) Hashcode() uint32      { return hashOf(op) }

// BatchNormGammaGradOp is a BatchNormOp's gradient with respect to γ,
// from (x, stats, running mean, running var, dy): Σ dy·x̂ per channel, x̂
// normalised as the mode's forward pass normalises it.
type BatchNormGammaGradOp struct {
	pure
	notDiffable
	Eps  float64
	Dims int
}

// Arity is 5.
func (op BatchNormGammaGradOp) Arity() int { return 5 }

// Type is Tensor d a → Matrix a → Vector a → Vector a → Tensor d a → Vector a.
func (op BatchNormGammaGradOp) Type() hm.Type { return fnType(op.Dims, 2, 1, 1, op.Dims, 1) }

// InferShape returns (C).
func (op BatchNormGammaGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, 5, ds)
	if err != nil {
		return nil, err
	}
	g, err := bnGradCheck(op, s[0], s[1], s[4], s[2], s[3])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.c}, nil
}

// Do computes the inference dγ.
func (op BatchNormGammaGradOp) Do(vs ...G.Value) (G.Value, error) {
	return op.ModeDo(Mode{}, nil, vs...)
}

// UsePreallocDo computes the inference dγ into prealloc.
func (op BatchNormGammaGradOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return op.ModeDo(Mode{}, p, vs...)
}

// ModeDo computes dγ in mode.
func (op BatchNormGammaGradOp) ModeDo(mode Mode, p G.Value, vs ...G.Value) (G.Value, error) {
	return bnDo(op, p, vs, func(s []tensor.Shape) (bnGeom, tensor.Shape, error) {
		g, err := bnGradCheck(op, s[0], s[1], s[4], s[2], s[3])
		return g, tensor.Shape{g.c}, err
	}, func(g bnGeom, dg []float32, in [][]float32) {
		bnGradGamma(g, op.Eps, mode.Train, dg, in[0], in[1], in[2], in[3], in[4])
	}, func(g bnGeom, dg []float64, in [][]float64) {
		bnGradGamma(g, op.Eps, mode.Train, dg, in[0], in[1], in[2], in[3], in[4])
	})
}

func bnGradGamma[T Float](g bnGeom, eps float64, train bool, dg, x, stats, rmean, rvar, dy []T) {
	forChunks(g.c, 1, func(c, _, _ int) {
		_, _, _, sdyx := bnDySums(g, eps, train, c, x, stats, rmean, rvar, dy)
		dg[c] = T(sdyx)
	})
}

func (op BatchNormGammaGradOp) String() string {
	return fmt.Sprintf("BatchNormGammaGrad(ε %g, %d-D)", op.Eps, op.Dims)
}
func (op BatchNormGammaGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op BatchNormGammaGradOp) Hashcode() uint32      { return hashOf(op) }

// BatchNormRunningOp computes a running statistic of a BatchNormOp after
// a training batch, from (stats, r), stats the batch's statistics and r
// the running statistic so far:
//
//	r' = (1 − Momentum)·r + Momentum·s
//
// s the batch's per-channel mean, or, with Variance, its unbiased
// variance (σ²·M/(M−1) over the Count values of each channel), as
// PyTorch's BatchNorm keeps them.
type BatchNormRunningOp struct {
	pure
	notDiffable
	Momentum float64
	Variance bool
	Count    int // values per channel in a batch (N·H·W)
}

// BatchNormRunning returns the node of the running statistic r updated
// with the statistics stats of a batch x (see BatchNormRunningOp).
func BatchNormRunning(x, stats, r *G.Node, momentum float64, variance bool) (*G.Node, error) {
	if !(momentum >= 0 && momentum <= 1) {
		return nil, fmt.Errorf("ops: batch normalisation: momentum %v is not in [0, 1]", momentum)
	}
	g, err := bnGeometry(BatchNormRunningOp{}, x.Shape())
	if err != nil {
		return nil, err
	}
	return apply(BatchNormRunningOp{Momentum: momentum, Variance: variance, Count: g.count()}, stats, r)
}

// Arity is 2.
func (op BatchNormRunningOp) Arity() int { return 2 }

// Type is Matrix a → Vector a → Vector a.
func (op BatchNormRunningOp) Type() hm.Type { return fnType(2, 1, 1) }

// InferShape returns (C).
func (op BatchNormRunningOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, 2, ds)
	if err != nil {
		return nil, err
	}
	if err := op.check(s[0], s[1]); err != nil {
		return nil, err
	}
	return s[1].Clone(), nil
}

// check checks the statistics (2×C) against the running statistic (C).
func (op BatchNormRunningOp) check(stats, r tensor.Shape) error {
	if stats.Dims() != 2 || stats[0] != 2 || !r.Eq(tensor.Shape{stats[1]}) {
		return fmt.Errorf("%w: %v: statistics %v and running statistic %v", ErrShape, op, stats.Clone(), r.Clone())
	}
	return nil
}

// Do computes the updated statistic.
func (op BatchNormRunningOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the updated statistic into prealloc.
func (op BatchNormRunningOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return bnDo(op, p, vs, func(s []tensor.Shape) (bnGeom, tensor.Shape, error) {
		if err := op.check(s[0], s[1]); err != nil {
			return bnGeom{}, nil, err
		}
		return bnGeom{c: s[1][0]}, s[1], nil
	}, func(g bnGeom, out []float32, in [][]float32) {
		bnRunning(g, op, out, in[0], in[1])
	}, func(g bnGeom, out []float64, in [][]float64) {
		bnRunning(g, op, out, in[0], in[1])
	})
}

func bnRunning[T Float](g bnGeom, op BatchNormRunningOp, out, stats, r []T) {
	m := float64(op.Count)
	for c := range g.c {
		s := float64(stats[c])
		if op.Variance {
			s = float64(stats[g.c+c])
			if m > 1 {
				s *= m / (m - 1)
			}
		}
		out[c] = T((1-op.Momentum)*float64(r[c]) + op.Momentum*s)
	}
}

func (op BatchNormRunningOp) String() string {
	what := "mean"
	if op.Variance {
		what = "variance"
	}
	return fmt.Sprintf("BatchNormRunning(%s, momentum %g, %d values)", what, op.Momentum, op.Count)
}
func (op BatchNormRunningOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op BatchNormRunningOp) Hashcode() uint32      { return hashOf(op) }

// BatchNormStatsOp computes the statistics of a batch x (N×C or
// N×C×H×W) that BatchNormOp normalises with while training: a 2×C matrix
// of each channel's mean (row 0) and biased variance (row 1), added in
// float64, the variance from the values' distances to the mean. It has no
// gradient: BatchNormGradOp accounts for the statistics' dependence on x.
type BatchNormStatsOp struct {
	pure
	notDiffable
	Dims int
}

// BatchNormStats returns the node of x's batch statistics.
func BatchNormStats(x *G.Node) (*G.Node, error) { return apply(BatchNormStatsOp{Dims: x.Dims()}, x) }

// Arity is 1.
func (op BatchNormStatsOp) Arity() int { return 1 }

// Type is Tensor d a → Matrix a.
func (op BatchNormStatsOp) Type() hm.Type { return fnType(op.Dims, 2) }

// InferShape returns 2×C.
func (op BatchNormStatsOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, 1, ds)
	if err != nil {
		return nil, err
	}
	g, err := bnGeometry(op, s[0])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{2, g.c}, nil
}

// Do computes the statistics.
func (op BatchNormStatsOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the statistics into prealloc.
func (op BatchNormStatsOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return bnDo(op, p, vs, func(s []tensor.Shape) (bnGeom, tensor.Shape, error) {
		g, err := bnGeometry(op, s[0])
		return g, tensor.Shape{2, g.c}, err
	}, func(g bnGeom, out []float32, in [][]float32) {
		bnBatchStats(g, out, in[0])
	}, func(g bnGeom, out []float64, in [][]float64) {
		bnBatchStats(g, out, in[0])
	})
}

func bnBatchStats[T Float](g bnGeom, out, x []T) {
	forChunks(g.c, 1, func(c, _, _ int) {
		mean, variance := bnStats(g, c, x)
		out[c], out[g.c+c] = T(mean), T(variance)
	})
}

func (op BatchNormStatsOp) String() string        { return fmt.Sprintf("BatchNormStats(%d-D)", op.Dims) }
func (op BatchNormStatsOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op BatchNormStatsOp) Hashcode() uint32      { return hashOf(op) }

package cpukernels

import "math"

// Channels is the layout of a batch normalisation's input, or of any
// per-channel reduction's: N samples of C channels of Inner values each
// (H·W for feature maps, 1 for N×C features).
type Channels struct{ N, C, Inner int }

// count is the number of values per channel.
func (g Channels) count() int { return g.N * g.Inner }

// each calls f(lo, hi) for each run of channel c's values.
func (g Channels) each(c int, f func(lo, hi int)) {
	for n := range g.N {
		f(g.run(c, n))
	}
}

// run returns where image n's values of channel c lie: [lo, hi).
func (g Channels) run(c, n int) (lo, hi int) {
	lo = (n*g.C + c) * g.Inner
	return lo, lo + g.Inner
}

// The batch normalisation kernels below take, besides x and dy, the 2×C
// batch statistics stats (each channel's mean, then each channel's biased
// variance), γ and β, and the running mean and variance, each of C values.
// train selects the batch's statistics; otherwise the running ones.

// BatchNormStats writes each channel's mean (row 0 of out) and biased
// variance (row 1), added in float64 in a fixed order. Each run of a
// channel's values (an image's map, or one value of N×C features) is
// read once, for its sum and its squared distances to its own mean
// (RunStats); the runs' moments are then combined (BatchNormStatsOfRuns):
// no cancellation, as with two passes over the channel, but the values
// stream through memory once.
func BatchNormStats[T Float](g Channels, out, x []T) {
	runs := getScratch[float64](2 * g.N * g.C)
	launch[bnRunsJob[T]](g.N*g.C, runsChunk(g), bnRunsJob[T]{g: g, x: x, runs: *runs})
	BatchNormStatsOfRuns(g, out, *runs)
	putScratch(runs)
}

// runsChunk is how many runs bnRunsJob takes at a time: about 4096
// values.
func runsChunk(g Channels) int { return max(1, 4096/max(g.Inner, 1)) }

// bnRunsJob is BatchNormStats's pass over the runs of x: runs gets
// RunStats of each, in x's order.
type bnRunsJob[T Float] struct {
	g    Channels
	x    []T
	runs []float64
}

func (j *bnRunsJob[T]) chunk(_, lo, hi int) {
	inner := j.g.Inner
	for r := lo; r < hi; r++ {
		j.runs[2*r], j.runs[2*r+1] = RunStats(j.x[r*inner : (r+1)*inner])
	}
}

// RunStats returns the moments of one run of a channel's values that
// BatchNormStatsOfRuns combines: their sum s (Sum) and their squared
// distances to their own mean, SumSquaredDev(x, s/len(x)).
func RunStats[T Float](x []T) (s, q float64) {
	if len(x) == 1 { // the same bits, without the calls
		s = float64(x[0]) + 0
		d := float64(x[0]) - s
		return s, 0 + d*d
	}
	s = Sum(x)
	return s, SumSquaredDev(x, s/float64(len(x)))
}

// BatchNormStatsOfRuns writes BatchNormStats's out from RunStats of each
// run of x (N×C pairs of s and q, in x's order): the mean μ = Σs/M, the
// runs added in image order, and the variance (Σ q + k·(s/k − μ)²)/M for
// runs of k values (Chan, Golub and LeVeque's combination of moments).
func BatchNormStatsOfRuns[T Float](g Channels, out []T, runs []float64) {
	m, k := float64(g.count()), float64(g.Inner)
	for c := range g.C {
		var s float64
		for n := range g.N {
			s += runs[2*(n*g.C+c)]
		}
		mean := s / m
		var q float64
		for n := range g.N {
			r := runs[2*(n*g.C+c):]
			d := r[0]/k - mean
			q += r[1] + k*d*d
		}
		out[c], out[g.C+c] = T(mean), T(q/m)
	}
}

// bnJob is a call of a batch normalisation kernel, a channel per chunk:
// the layout, ε, whether training, the output and the kernel's inputs.
// Each kernel's job is a type of its own, for its chunk method.
type bnJob[T Float] struct {
	g                                           Channels
	eps                                         float64
	train                                       bool
	out, x, stats, gamma, beta, rmean, rvar, dy []T
}

// norm returns the mean and 1/√(σ² + ε) that channel c is normalised
// with: the batch's (from stats) while training, the running ones
// otherwise (which may then be nil).
func norm[T Float](g Channels, eps float64, train bool, c int, stats, rmean, rvar []T) (mean, inv float64) {
	var variance float64
	if train {
		mean, variance = float64(stats[c]), float64(stats[g.C+c])
	} else {
		mean, variance = float64(rmean[c]), float64(rvar[c])
	}
	return mean, 1 / math.Sqrt(variance+eps)
}

// BatchNorm writes y = γ·(x − μ)/√(σ² + ε) + β per channel.
func BatchNorm[T Float](g Channels, eps float64, train bool, y, x, stats, gamma, beta, rmean, rvar []T) {
	launch[batchNormJob[T]](g.C, 1, batchNormJob[T]{g: g, eps: eps, train: train, out: y, x: x, stats: stats, gamma: gamma, beta: beta, rmean: rmean, rvar: rvar})
}

type batchNormJob[T Float] bnJob[T]

func (j *batchNormJob[T]) chunk(c, _, _ int) {
	scale, shift := BatchNormCoefficients(j.g, j.eps, j.train, c, j.stats, j.gamma, j.beta, j.rmean, j.rvar)
	y, x := j.out, j.x
	j.g.each(c, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y[i] = T(float64(float64(x[i])*scale) + shift) // no fused multiply-add: ReLUPool's bits
		}
	})
}

// BatchNormCoefficients returns the scale and shift that BatchNorm maps
// channel c with, y = T(x·scale + shift) computed in float64.
func BatchNormCoefficients[T Float](g Channels, eps float64, train bool, c int, stats, gamma, beta, rmean, rvar []T) (scale, shift float64) {
	mean, inv := norm(g, eps, train, c, stats, rmean, rvar)
	scale = float64(gamma[c]) * inv
	return scale, float64(beta[c]) - mean*scale
}

// dySums returns the mean and 1/√(σ² + ε) of channel c (norm), Σdy and
// Σ(dy·x̂) over it.
func dySums[T Float](g Channels, eps float64, train bool, c int, x, stats, rmean, rvar, dy []T) (mean, inv, sdy, sdyx float64) {
	mean, inv = norm(g, eps, train, c, stats, rmean, rvar)
	g.each(c, func(lo, hi int) {
		a, b := SumGradDev(dy[lo:hi], x[lo:hi], mean)
		sdy += a
		sdyx += b
	})
	sdyx *= inv
	return mean, inv, sdy, sdyx
}

// BatchNormGradX writes the gradient with respect to x: while training,
// per channel, with x̂ = (x − μ)/√(σ² + ε) over the channel's M values,
//
//	dx = γ/√(σ² + ε) · (dy − Σdy/M − x̂·Σ(dy·x̂)/M)
//
// and otherwise dx = γ·dy/√(var + ε), the running variance's.
func BatchNormGradX[T Float](g Channels, eps float64, train bool, dx, x, stats, gamma, rmean, rvar, dy []T) {
	launch[bnGradXJob[T]](g.C, 1, bnGradXJob[T]{g: g, eps: eps, train: train, out: dx, x: x, stats: stats, gamma: gamma, rmean: rmean, rvar: rvar, dy: dy})
}

type bnGradXJob[T Float] bnJob[T]

func (j *bnGradXJob[T]) chunk(c, _, _ int) {
	if j.train {
		trainChannel(j.g, j.eps, c, j.out, j.x, j.stats, j.gamma, j.dy)
		return
	}
	k := float64(j.gamma[c]) / math.Sqrt(float64(j.rvar[c])+j.eps)
	dx, dy := j.out, j.dy
	j.g.each(c, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			dx[i] = T(k * float64(dy[i]))
		}
	})
}

// trainChannel writes channel c's dx while training and returns its dγ
// (Σ dy·x̂, as BatchNormGradGamma) and Σdy (dβ, as SumChannels adds it:
// the same lanes of each run, the runs added in order).
func trainChannel[T Float](g Channels, eps float64, c int, dx, x, stats, gamma, dy []T) (dgamma, sdy float64) {
	mean, inv, sdy, sdyx := dySums(g, eps, true, c, x, stats, nil, nil, dy)
	f := trainGradX(g, c, gamma, mean, inv, sdy, sdyx)
	g.each(c, func(lo, hi int) { gradXRun(f, dx[lo:hi], x[lo:hi], dy[lo:hi]) })
	return sdyx, sdy
}

// gradX is the map from dy and x to dx of one channel while training,
// dx = k·((dy − a) − (x − mean)·b), computed in float64.
type gradX struct{ k, a, b, mean float64 }

// trainGradX returns channel c's gradX from its mean, 1/√(σ² + ε), Σdy
// and Σ(dy·x̂) (dySums).
func trainGradX[T Float](g Channels, c int, gamma []T, mean, inv, sdy, sdyx float64) gradX {
	m := float64(g.count())
	return gradX{k: float64(gamma[c]) * inv, a: sdy / m, b: sdyx / m * inv, mean: mean}
}

// gradXRun writes out = f(dy, x); x and dy are at least as long.
func gradXRun[T Float](f gradX, out, x, dy []T) {
	x, dy = x[:len(out)], dy[:len(out)]
	done := 0
	if is32[T]() {
		done = bnGradX(as[float32](out), as[float32](x), as[float32](dy), f.k, f.a, f.b, f.mean)
	}
	for i := done; i < len(out); i++ {
		out[i] = T(f.k * (float64(dy[i]) - f.a - float64((float64(x[i])-f.mean)*f.b)))
	}
}

// BatchNormGradGamma writes the gradient with respect to γ: Σ dy·x̂ per
// channel, x̂ normalised as the forward pass normalises it.
func BatchNormGradGamma[T Float](g Channels, eps float64, train bool, dg, x, stats, rmean, rvar, dy []T) {
	launch[bnGradGammaJob[T]](g.C, 1, bnGradGammaJob[T]{g: g, eps: eps, train: train, out: dg, x: x, stats: stats, rmean: rmean, rvar: rvar, dy: dy})
}

type bnGradGammaJob[T Float] bnJob[T]

func (j *bnGradGammaJob[T]) chunk(c, _, _ int) {
	_, _, _, sdyx := dySums(j.g, j.eps, j.train, c, j.x, j.stats, j.rmean, j.rvar, j.dy)
	j.out[c] = T(sdyx)
}

// BatchNormRunning writes a running statistic after a training batch,
// r' = (1 − momentum)·r + momentum·s, s the batch's per-channel mean (row
// 0 of stats), or with variance its unbiased variance (row 1 times
// M/(M−1), M = count values per channel).
func BatchNormRunning[T Float](momentum float64, variance bool, count int, out, stats, r []T) {
	m, channels := float64(count), len(out)
	for c := range channels {
		s := float64(stats[c])
		if variance {
			s = float64(stats[channels+c])
			if m > 1 {
				s *= m / (m - 1)
			}
		}
		out[c] = T((1-momentum)*float64(r[c]) + momentum*s)
	}
}

// BatchNormBackward computes at once, while training, what BatchNormGradX
// writes to DX, BatchNormGradGamma to DGamma and, when DBeta is not nil,
// SumChannels of Dy to DBeta (the β gradient of N×C×H×W maps), with the
// same bits: an executor that fuses the three reads each channel once for
// the sums they share, and splits the channels across cores.
type BatchNormBackward struct {
	Layout              Channels
	Eps                 float64
	X, Stats, Gamma, Dy []float32 // the inputs
	DX, DGamma, DBeta   []float32 // the outputs; DBeta may be nil
}

// Channels computes the channels lo ≤ c < hi.
func (b *BatchNormBackward) Channels(lo, hi int) {
	for c := lo; c < hi; c++ {
		dg, db := trainChannel(b.Layout, b.Eps, c, b.DX, b.X, b.Stats, b.Gamma, b.Dy)
		b.DGamma[c] = float32(dg)
		if b.DBeta != nil {
			b.DBeta[c] = float32(db)
		}
	}
}

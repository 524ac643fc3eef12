package cpukernels

import "math"

// The losses are means, accumulated in float64. Each comes with its
// gradient with respect to the predictions, scaled by dL (the gradient of
// what the loss feeds, 1 for a loss minimised directly).

// BCEWithLogits is mean(max(z,0) − z·y + log(1+e^−|z|)) of logits z and
// targets y.
func BCEWithLogits[T Float](z, y []T) float64 {
	var s float64
	for i, p := range z {
		zi, yi := float64(p), float64(y[i])
		s += max(zi, 0) - zi*yi + math.Log1p(math.Exp(-math.Abs(zi)))
	}
	return s / float64(len(z))
}

// BCEWithLogitsGrad writes dz = dL·(σ(z) − y)/N.
func BCEWithLogitsGrad[T Float](dst, z, y []T, dL float64) {
	scale := dL / float64(len(dst))
	for i, p := range z {
		dst[i] = T((SigmoidOf(float64(p)) - float64(y[i])) * scale)
	}
}

// MSE is mean((p − y)²).
func MSE[T Float](p, y []T) float64 {
	var s float64
	for i, v := range p {
		d := float64(v) - float64(y[i])
		s += d * d
	}
	return s / float64(len(p))
}

// MSEGrad writes dp = dL·2(p − y)/N.
func MSEGrad[T Float](dst, p, y []T, dL float64) {
	scale := dL / float64(len(dst))
	for i, v := range p {
		dst[i] = T(2 * (float64(v) - float64(y[i])) * scale)
	}
}

// SoftmaxCrossEntropy is the mean over rows of cols logits z of
// (Σ y)·logsumexp(z) − Σ y·z.
func SoftmaxCrossEntropy[T Float](z, y []T, cols int) float64 {
	var s float64
	for r := 0; r+cols <= len(z); r += cols {
		zr, yr := z[r:r+cols], y[r:r+cols]
		m, e := rowLogSumExp(zr)
		lse := m + math.Log(e)
		for c, v := range zr {
			s += float64(yr[c]) * (lse - float64(v))
		}
	}
	return s / float64(len(z)/cols)
}

// SoftmaxCrossEntropyGrad writes dz = dL·(softmax(z)·Σ y − y)/rows.
func SoftmaxCrossEntropyGrad[T Float](dst, z, y []T, dL float64, cols int) {
	scale := dL / float64(len(dst)/cols)
	for r := 0; r+cols <= len(dst); r += cols {
		zr, yr := z[r:r+cols], y[r:r+cols]
		m, e := rowLogSumExp(zr)
		var sy float64
		for _, v := range yr {
			sy += float64(v)
		}
		for c, v := range zr {
			dst[r+c] = T((math.Exp(float64(v)-m)/e*sy - float64(yr[c])) * scale)
		}
	}
}

package synthetic

import (
	"math"
	"testing"

	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// The tests in this file check that the class is carried by shape: a linear
// classifier on brightness statistics stays at chance, while one on edge
// features does clearly better.

const (
	trainImages = 2000
	testImages  = 1000
)

// features maps an image to a feature vector.
type features func(img []uint8, side int) []float64

func meanBrightness(img []uint8, _ int) []float64 {
	sum := 0
	for _, p := range img {
		sum += int(p)
	}
	return []float64{float64(sum) / float64(len(img))}
}

func histogram16(img []uint8, _ int) []float64 {
	h := make([]float64, 16)
	for _, p := range img {
		h[p/16]++
	}
	for i := range h {
		h[i] /= float64(len(img))
	}
	return h
}

// quantiles returns the 5th, 10th, ..., 95th percentiles of the pixel
// values. Unlike fixed histogram bins, they follow the image's own grey
// levels, so they notice when one class shows more of one tone (say, more
// bare fur) than the other.
func quantiles(img []uint8, _ int) []float64 {
	var counts [256]int
	for _, p := range img {
		counts[p]++
	}
	out := make([]float64, 0, 19)
	seen := 0
	for v, c := range counts {
		seen += c
		for len(out) < 19 && seen*20 >= (len(out)+1)*len(img) {
			out = append(out, float64(v))
		}
	}
	return out
}

// edgeMap returns the gradient magnitude |dx| + |dy| summed over 4x4 blocks
// and divided by the image's mean, so that it does not depend on the
// contrast or on which of fur and background is brighter.
func edgeMap(img []uint8, side int) []float64 {
	const block = 4
	cells := side / block
	f := make([]float64, cells*cells)
	total := 0.0
	for y := range cells * block {
		for x := range cells * block {
			p := int(img[y*side+x])
			var g int
			if x+1 < side {
				g += abs(int(img[y*side+x+1]) - p)
			}
			if y+1 < side {
				g += abs(int(img[(y+1)*side+x]) - p)
			}
			f[(y/block)*cells+x/block] += float64(g)
			total += float64(g)
		}
	}
	mean := total / float64(len(f))
	for i := range f {
		f[i] /= mean
	}
	return f
}

func abs(v int) int { return max(v, -v) }

// logistic is a logistic-regression classifier on standardised features.
type logistic struct {
	mean, scale []float64
	w           []float64
	b           float64
}

// fitLogistic trains a logistic regression by full-batch gradient descent
// with L2 penalty l2 on the standardised features x and labels y (0 or 1).
func fitLogistic(x [][]float64, y []uint8, epochs int, rate, l2 float64) *logistic {
	d := len(x[0])
	m := &logistic{mean: make([]float64, d), scale: make([]float64, d), w: make([]float64, d)}
	for _, row := range x {
		for j, v := range row {
			m.mean[j] += v
		}
	}
	for j := range m.mean {
		m.mean[j] /= float64(len(x))
	}
	for _, row := range x {
		for j, v := range row {
			m.scale[j] += (v - m.mean[j]) * (v - m.mean[j])
		}
	}
	for j := range m.scale {
		m.scale[j] = 1 / math.Max(math.Sqrt(m.scale[j]/float64(len(x))), 1e-12)
	}
	z := make([][]float64, len(x))
	for i, row := range x {
		z[i] = m.standardise(row)
	}
	grad := make([]float64, d)
	for range epochs {
		clear(grad)
		gb := 0.0
		for i, row := range z {
			e := m.prob(row) - float64(y[i])
			for j, v := range row {
				grad[j] += e * v
			}
			gb += e
		}
		n := float64(len(z))
		for j := range m.w {
			m.w[j] -= rate * (grad[j]/n + l2*m.w[j])
		}
		m.b -= rate * gb / n
	}
	return m
}

func (m *logistic) standardise(row []float64) []float64 {
	z := make([]float64, len(row))
	for j, v := range row {
		z[j] = (v - m.mean[j]) * m.scale[j]
	}
	return z
}

// prob returns P(y = 1) for a standardised row.
func (m *logistic) prob(z []float64) float64 {
	a := m.b
	for j, v := range z {
		a += m.w[j] * v
	}
	return 1 / (1 + math.Exp(-a))
}

// accuracy returns the fraction of rows of x that m classifies as y.
func (m *logistic) accuracy(x [][]float64, y []uint8) float64 {
	right := 0
	for i, row := range x {
		if (m.prob(m.standardise(row)) >= 0.5) == (y[i] == 1) {
			right++
		}
	}
	return float64(right) / float64(len(x))
}

func featurise(s *dataset.Set, f features) [][]float64 {
	x := make([][]float64, s.Len())
	for i := range x {
		x[i] = f(s.Image(i), s.Side)
	}
	return x
}

// heldOut trains on train and returns the accuracy on test.
func heldOut(train, test *dataset.Set, f features, epochs int, rate, l2 float64) float64 {
	m := fitLogistic(featurise(train, f), train.Labels, epochs, rate, l2)
	return m.accuracy(featurise(test, f), test.Labels)
}

// TestTrivialStatisticsDoNotSeparate checks that a logistic regression on the
// mean brightness, on a 16-bin histogram or on the percentiles of the pixel
// values is no better than chance on held-out images. If it fails after a
// change to the drawing, rebalance the shapes (see draw.go); do not widen
// the margin.
func TestTrivialStatisticsDoNotSeparate(t *testing.T) {
	if testing.Short() {
		t.Skip("draws 3000 images")
	}
	train, test := Generate(trainImages, 101, 100), Generate(testImages, 202, 100)
	tests := []struct {
		name string
		f    features
	}{
		{name: "mean brightness", f: meanBrightness},
		{name: "16-bin histogram", f: histogram16},
		{name: "percentiles", f: quantiles},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc := heldOut(train, test, tt.f, 500, 0.5, 0)
			t.Logf("held-out accuracy on %s: %.3f", tt.name, acc)
			if math.Abs(acc-0.5) > 0.06 {
				t.Errorf("held-out accuracy %.3f is outside 0.5 +- 0.06: %s tells cats from dogs", acc, tt.name)
			}
		})
	}
}

// TestShapeIsLearnable checks that the task is not impossible: a logistic
// regression on a 25x25 map of edge strength tells cats from dogs on
// held-out images clearly better than chance.
func TestShapeIsLearnable(t *testing.T) {
	if testing.Short() {
		t.Skip("draws 3000 images")
	}
	train, test := Generate(trainImages, 303, 100), Generate(testImages, 404, 100)
	acc := heldOut(train, test, edgeMap, 300, 0.2, 1e-3)
	t.Logf("held-out accuracy on 25x25 edge maps: %.3f", acc)
	if acc < 0.65 {
		t.Errorf("held-out accuracy %.3f on edge maps, want at least 0.65", acc)
	}
}

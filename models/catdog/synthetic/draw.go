package synthetic

import (
	"fmt"
	"math/rand/v2"

	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// Geometry, in units of the image side unless stated otherwise. The
// variation is kept modest, and the offsets and tilt are drawn from triangular
// distributions that favour small values, so that a perceptron trained on raw
// pixels from a few thousand images can generalise over it.
const (
	headRadius    = 0.2   // nominal head radius
	headScaleJit  = 0.12  // head radius varies by this fraction either way
	headShift     = 0.08  // the head's centre moves up to this far either way
	headDrop      = 0.04  // the head's centre sits this far below the image centre
	maxTilt       = 0.222 // tan(12.5 degrees): heads rotate up to 25 degrees either way
	minContrast   = 60.0  // least luma difference between fur and background
	maxClutter    = 3     // most blobs, and most lines, behind the head
	maxNoiseSigma = 7.0   // largest standard deviation of the pixel noise
)

// palette holds one image's grey levels. It is drawn the same way for both
// classes.
type palette struct {
	background float64 // the background's mean level
	fur        float64 // the head and ears
	feature    float64 // eyes, nose, mouth, whiskers: well away from fur
	accent     float64 // the cat's ears and mask, the dog's ears: between fur and feature
	mid        float64 // the cat's irises, the dog's tongue: further towards feature
	muzzle     float64 // the snout's patch: a little further from feature than fur
	muzzleMix  float64 // opacity of the muzzle patch
}

// uniform returns a value drawn uniformly from [lo, hi).
func uniform(rng *rand.Rand, lo, hi float64) float64 {
	return lo + float64((hi-lo)*rng.Float64())
}

// centred returns a value in (-half, half) from a triangular distribution:
// small offsets are common and the extremes rare.
func centred(rng *rand.Rand, half float64) float64 {
	return float64(half * (float64(rng.Float64()) + float64(rng.Float64()) - 1))
}

// mix returns a + (b-a)*k.
func mix(a, b, k float64) float64 { return a + float64((b-a)*k) }

func clampLuma(v float64) float64 { return min(max(v, 0), 255) }

func newPalette(rng *rand.Rand) palette {
	lo := uniform(rng, 15, 150)
	hi := min(lo+uniform(rng, minContrast, 120), 240)
	var p palette
	p.fur, p.background = hi, lo
	if rng.IntN(2) == 0 {
		p.fur, p.background = lo, hi
	}
	if p.fur >= 128 {
		p.feature = clampLuma(p.fur - uniform(rng, 70, 120))
	} else {
		p.feature = clampLuma(p.fur + uniform(rng, 70, 120))
	}
	p.accent = mix(p.fur, p.feature, uniform(rng, 0.25, 0.5))
	p.mid = mix(p.fur, p.feature, 0.65)
	p.muzzle = clampLuma(mix(p.fur, p.feature, uniform(rng, -0.35, -0.1)))
	p.muzzleMix = uniform(rng, 0.3, 1)
	return p
}

// Draw renders one image of the given label (dataset.Cat or dataset.Dog) into
// dst, which must hold side*side luma values, using rng for every random
// choice: the same generator state always gives the same image. It panics if
// side < 1, dst is too short or the label is neither class, as these are
// programming errors.
func Draw(dst []uint8, side int, label uint8, rng *rand.Rand) {
	if side < 1 || len(dst) < side*side {
		panic(fmt.Sprintf("synthetic: Draw into %d bytes with side %d", len(dst), side))
	}
	if label != dataset.Cat && label != dataset.Dog {
		panic(fmt.Sprintf("synthetic: Draw with label %d", label))
	}
	draw(dst, make([]float64, side*side), side, label, rng)
}

// draw is Draw with a caller-provided scratch canvas of side*side values.
func draw(dst []uint8, scratch []float64, side int, label uint8, rng *rand.Rand) {
	c := &canvas{side: side, pix: scratch}
	s := float64(side)
	pal := newPalette(rng)
	drawBackground(c, rng, pal)

	radius := float64(s * headRadius * uniform(rng, 1-headScaleJit, 1+headScaleJit))
	cos, sin := rotation(centred(rng, maxTilt))
	head := frame{
		cx:    float64(s * (0.5 + centred(rng, headShift))),
		cy:    float64(s * (0.5 + headDrop + centred(rng, headShift))),
		cos:   cos,
		sin:   sin,
		scale: radius,
	}
	// thin is the unit of line width in head units: one pixel at side 100,
	// scaled with the image but never under half a pixel, so that whiskers
	// stay visible in small images.
	thin := max(s/100, 0.5) / radius
	if label == dataset.Cat {
		drawCat(c, head, rng, pal, thin)
	} else {
		drawDog(c, head, rng, pal, thin)
	}

	// Triangular noise: the sum of two uniforms, scaled to a standard
	// deviation of sigma (exact arithmetic, unlike a Gaussian's).
	sigma := uniform(rng, 2, maxNoiseSigma) * 2.449489742783178 // sqrt(6)
	for i, v := range c.pix {
		noise := float64(rng.Float64()) + float64(rng.Float64()) - 1
		v += float64(noise * sigma)
		dst[i] = uint8(clampLuma(v) + 0.5)
	}
}

// drawBackground fills c with a linear gradient around pal.background and
// paints clutter on it: soft blobs and lines whose levels are drawn
// independently of the class.
func drawBackground(c *canvas, rng *rand.Rand, pal palette) {
	s := float64(c.side)
	gcos, gsin := rotation(uniform(rng, -1, 1))
	if rng.IntN(2) == 0 {
		gcos = -gcos
	}
	slope := uniform(rng, 0, 40) / s // luma change across the whole image
	gx, gy := float64(gcos*slope), float64(gsin*slope)
	centre := float64(s / 2)
	for y := range c.side {
		dy := float64(y) + 0.5 - centre
		for x := range c.side {
			dx := float64(x) + 0.5 - centre
			c.pix[y*c.side+x] = pal.background + dot(gx, gy, dx, dy)
		}
	}
	for range rng.IntN(maxClutter + 1) {
		cos, sin := rotation(uniform(rng, -1, 1))
		f := frame{cx: float64(s * rng.Float64()), cy: float64(s * rng.Float64()), cos: cos, sin: sin, scale: s}
		e := ellipse{ru: uniform(rng, 0.03, 0.15), rv: uniform(rng, 0.03, 0.15)}
		c.paint(f, e, clampLuma(pal.background+uniform(rng, -70, 70)), uniform(rng, 0.3, 0.9))
	}
	for range rng.IntN(maxClutter + 1) {
		u0, v0 := float64(s*rng.Float64()), float64(s*rng.Float64())
		length := s * uniform(rng, 0.1, 0.5)
		cos, sin := rotation(uniform(rng, -1, 1))
		l := capsule{au: u0, av: v0, bu: u0 + float64(cos*length), bv: v0 + float64(sin*length), r: float64(uniform(rng, 0.4, 2) * s / 100)}
		c.paint(identity, l, clampLuma(pal.background+uniform(rng, -80, 80)), uniform(rng, 0.4, 1))
	}
}

// The heads below are drawn in head units: the origin at the head's centre,
// u to the right, v downwards, 1 = the head's nominal radius.
//
// Their sizes are tuned so that, on average, the two heads cover the same
// area, and each grey level of the palette (fur, accent, muzzle, mid,
// feature, and the soft edges between them) covers about the same share of
// it. That is what keeps brightness, contrast and histogram statistics from
// telling the classes apart: a shape that grows in one class must be paid
// for in the other. TestTrivialStatisticsDoNotSeparate checks the result.

// drawCat paints a cat's head: a round face, tall pointed upright ears,
// almond eyes with slit pupils, a small nose over a short snout, and
// whiskers.
func drawCat(c *canvas, f frame, rng *rand.Rand, pal palette, thin float64) {
	earTop := uniform(rng, 1.6, 1.8)
	earOut := uniform(rng, 0.72, 0.92)
	faceW, faceH := uniform(rng, 0.95, 1.03), uniform(rng, 0.86, 0.94)
	eyeW, eyeH := uniform(rng, 0.15, 0.19), uniform(rng, 0.075, 0.1)
	for _, side := range []float64{-1, 1} {
		ear := triangle{
			u0: side * 1.0, v0: -0.2,
			u1: side * 0.15, v1: -0.86,
			u2: side * earOut, v2: -earTop,
			round: 0.04,
		}
		c.paint(f, ear, pal.accent, 1)
		c.paint(f, ear.shrink(0.33), pal.muzzle, 1)
	}
	c.paint(f, ellipse{ru: faceW, rv: faceH}, pal.fur, 1)
	// A mask of the accent tone around the eyes, as on a Siamese, matches
	// the accent of the dog's ears.
	c.paint(f, ellipse{v: 0.12, ru: 0.85, rv: 0.72}, pal.accent, 1)
	c.paint(f, ellipse{v: 0.42, ru: 0.44, rv: 0.32}, pal.muzzle, pal.muzzleMix)
	drawMarkings(c, f, rng, pal, 0.38, -0.12)
	for _, side := range []float64{-1, 1} {
		c.paint(f, ellipse{u: side * 0.38, v: -0.12, ru: eyeW, rv: eyeH}, pal.mid, 1)
		c.paint(f, ellipse{u: side * 0.38, v: -0.12, ru: 0.05, rv: eyeH * 0.95}, pal.feature, 1)
	}
	c.paint(f, triangle{u0: -0.13, v0: 0.22, u1: 0.13, v1: 0.22, u2: 0, v2: 0.37, round: 0.03}, pal.feature, 1)
	for _, side := range []float64{-1, 1} {
		c.paint(f, capsule{au: 0, av: 0.36, bu: side * 0.13, bv: 0.5, r: float64(thin * 0.45)}, pal.feature, 1)
		for k := range 3 {
			kv := float64(k)
			reach := uniform(rng, 1.25, 1.5)
			w := capsule{
				au: side * 0.28, av: 0.36 + float64(0.07*kv),
				bu: side * reach, bv: 0.14 + float64(0.2*kv) + uniform(rng, -0.05, 0.05),
				r: float64(thin * 0.45),
			}
			c.paint(f, w, pal.feature, 1)
		}
	}
}

// drawDog paints a dog's head: a longer face with a muzzle that sticks out
// below it, long floppy ears hanging at the sides, round eyes and a large
// nose.
func drawDog(c *canvas, f frame, rng *rand.Rand, pal palette, thin float64) {
	faceW, faceH := uniform(rng, 0.8, 0.88), uniform(rng, 0.98, 1.06)
	muzzleW, muzzleH := uniform(rng, 0.52, 0.6), uniform(rng, 0.42, 0.5)
	muzzleV := uniform(rng, 0.64, 0.74)
	earLen := uniform(rng, 0.7, 0.9)
	earOut := uniform(rng, 0.97, 1.09)
	earR := uniform(rng, 0.23, 0.29)
	eyeR := uniform(rng, 0.11, 0.14)
	c.paint(f, ellipse{v: -0.05, ru: faceW, rv: faceH}, pal.fur, 1)
	c.paint(f, ellipse{v: muzzleV, ru: muzzleW, rv: muzzleH}, pal.fur, 1)
	c.paint(f, ellipse{v: muzzleV, ru: muzzleW, rv: muzzleH}, pal.muzzle, pal.muzzleMix)
	for _, side := range []float64{-1, 1} {
		ear := capsule{au: side * 0.45, av: -0.72, bu: side * earOut, bv: earLen, r: earR}
		c.paint(f, ear, pal.accent, 1)
		c.paint(f, circle{u: side * earOut, v: earLen, r: earR + 0.06}, pal.accent, 1)
	}
	drawMarkings(c, f, rng, pal, 0.34, -0.18)
	// Thin lines (the folds of the ears, the brows, the mouth), the large
	// nose and the tongue give the dog about as much of the feature tone, and
	// as many soft line edges, as the cat's whiskers give it.
	line := float64(thin * 0.5)
	for _, side := range []float64{-1, 1} {
		fold := capsule{au: side * 0.62, av: -0.55, bu: side * (earOut - 0.14), bv: earLen + 0.05, r: line}
		c.paint(f, fold, pal.feature, 1)
		brow := capsule{au: side * 0.2, av: -0.4, bu: side * 0.48, bv: -0.36 + uniform(rng, -0.06, 0.06), r: line}
		c.paint(f, brow, pal.feature, 1)
		c.paint(f, circle{u: side * 0.34, v: -0.18, r: eyeR}, pal.feature, 1)
		c.paint(f, circle{u: float64(side*0.34) + 0.03, v: -0.21, r: float64(eyeR * 0.3)}, pal.fur, 1)
	}
	noseV := muzzleV - 0.22
	mouthV := noseV + 0.3
	c.paint(f, ellipse{v: mouthV + 0.14, ru: 0.17, rv: 0.21}, pal.mid, 1)
	c.paint(f, ellipse{v: noseV, ru: 0.27, rv: 0.18}, pal.feature, 1)
	c.paint(f, capsule{av: noseV, bv: mouthV, r: float64(thin * 0.8)}, pal.feature, 1)
	for _, side := range []float64{-1, 1} {
		c.paint(f, capsule{av: mouthV, bu: side * 0.2, bv: mouthV + 0.06, r: float64(thin * 0.8)}, pal.feature, 1)
		c.paint(f, capsule{au: side * 0.2, av: mouthV + 0.06, bu: side * 0.36, bv: mouthV - 0.04, r: line}, pal.feature, 1)
	}
}

// drawMarkings paints coat markings drawn from one distribution for both
// classes: on half of the heads a blaze down the forehead, up to two spots on
// the face, and on half a patch of the feature tone around one eye (the eyes
// being at (-eyeU, eyeV) and (eyeU, eyeV)). They vary the coats without
// saying anything about the class.
func drawMarkings(c *canvas, f frame, rng *rand.Rand, pal palette, eyeU, eyeV float64) {
	if rng.IntN(2) == 0 {
		width := uniform(rng, 0.08, 0.2)
		c.paint(f, capsule{av: -0.8, bv: uniform(rng, -0.2, 0.2), r: width}, pal.muzzle, uniform(rng, 0.5, 1))
	}
	for range rng.IntN(3) {
		spot := ellipse{u: uniform(rng, -0.6, 0.6), v: uniform(rng, -0.65, 0.3), ru: uniform(rng, 0.1, 0.25), rv: uniform(rng, 0.1, 0.25)}
		c.paint(f, spot, pal.accent, uniform(rng, 0.5, 1))
	}
	switch rng.IntN(4) {
	case 0:
		eyeU = -eyeU
	case 1:
	default:
		return
	}
	c.paint(f, ellipse{u: eyeU, v: eyeV + 0.02, ru: 0.3, rv: 0.26}, pal.feature, 0.9)
}

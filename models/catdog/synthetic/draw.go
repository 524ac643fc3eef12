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
	headShift     = 0.1   // the head's centre moves up to this far either way
	headDrop      = 0.04  // the head's centre sits this far below the image centre
	maxTilt       = 0.222 // tan(12.5°): heads rotate up to 25° either way
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
	accent     float64 // inner ears (cat), floppy ears (dog): between fur and feature
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
	// Lines are given in pixels (at least one, so they survive small
	// images) and converted to head units.
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

// drawCat paints a cat's head: a round face, pointed upright ears, almond eyes
// with slit pupils, a small nose over a short snout, and whiskers.
func drawCat(c *canvas, f frame, rng *rand.Rand, pal palette, thin float64) {
	earTop := uniform(rng, 1.45, 1.65)
	earOut := uniform(rng, 0.7, 0.95)
	faceW, faceH := uniform(rng, 0.97, 1.05), uniform(rng, 0.86, 0.94)
	eyeW, eyeH := uniform(rng, 0.16, 0.2), uniform(rng, 0.08, 0.11)
	for _, side := range []float64{-1, 1} {
		ear := triangle{
			u0: side * 0.97, v0: -0.25,
			u1: side * 0.22, v1: -0.86,
			u2: side * earOut, v2: -earTop,
			round: 0.03,
		}
		c.paint(f, ear, pal.fur, 1)
		c.paint(f, ear.shrink(0.55), pal.accent, 1)
	}
	c.paint(f, ellipse{ru: faceW, rv: faceH}, pal.fur, 1)
	c.paint(f, ellipse{v: 0.42, ru: 0.4, rv: 0.28}, pal.muzzle, pal.muzzleMix)
	for _, side := range []float64{-1, 1} {
		c.paint(f, ellipse{u: side * 0.38, v: -0.12, ru: eyeW, rv: eyeH}, mix(pal.fur, pal.feature, 0.6), 1)
		c.paint(f, ellipse{u: side * 0.38, v: -0.12, ru: 0.035, rv: eyeH * 0.95}, pal.feature, 1)
	}
	c.paint(f, triangle{u0: -0.1, v0: 0.24, u1: 0.1, v1: 0.24, u2: 0, v2: 0.36, round: 0.02}, pal.feature, 1)
	for _, side := range []float64{-1, 1} {
		c.paint(f, capsule{au: 0, av: 0.36, bu: side * 0.13, bv: 0.5, r: float64(thin * 0.6)}, pal.feature, 1)
		for k := range 3 {
			kv := float64(k)
			reach := uniform(rng, 1.2, 1.45)
			w := capsule{
				au: side * 0.28, av: 0.36 + float64(0.07*kv),
				bu: side * reach, bv: 0.14 + float64(0.2*kv) + uniform(rng, -0.05, 0.05),
				r: float64(thin * 0.6),
			}
			c.paint(f, w, pal.feature, 1)
		}
	}
}

// drawDog paints a dog's head: a longer face with a muzzle that sticks out
// below it, floppy ears hanging at the sides, round eyes and a large nose.
func drawDog(c *canvas, f frame, rng *rand.Rand, pal palette, thin float64) {
	faceW, faceH := uniform(rng, 0.78, 0.86), uniform(rng, 0.94, 1.02)
	muzzleW, muzzleH := uniform(rng, 0.46, 0.56), uniform(rng, 0.38, 0.46)
	muzzleV := uniform(rng, 0.58, 0.68)
	earLen := uniform(rng, 0.45, 0.65)
	earOut := uniform(rng, 0.95, 1.1)
	earR := uniform(rng, 0.22, 0.28)
	eyeR := uniform(rng, 0.1, 0.13)
	c.paint(f, ellipse{v: -0.05, ru: faceW, rv: faceH}, pal.fur, 1)
	c.paint(f, ellipse{v: muzzleV, ru: muzzleW, rv: muzzleH}, pal.fur, 1)
	c.paint(f, ellipse{v: muzzleV, ru: muzzleW, rv: muzzleH}, pal.muzzle, pal.muzzleMix)
	for _, side := range []float64{-1, 1} {
		ear := capsule{au: side * 0.55, av: -0.7, bu: side * earOut, bv: earLen, r: earR}
		c.paint(f, ear, pal.accent, 1)
		c.paint(f, circle{u: side * earOut, v: earLen, r: earR + 0.05}, pal.accent, 1)
		c.paint(f, circle{u: side * 0.34, v: -0.18, r: eyeR}, pal.feature, 1)
		c.paint(f, circle{u: float64(side*0.34) + 0.03, v: -0.21, r: float64(eyeR * 0.3)}, pal.fur, 1)
	}
	noseV := muzzleV - 0.22
	c.paint(f, ellipse{v: noseV, ru: 0.2, rv: 0.13}, pal.feature, 1)
	c.paint(f, capsule{av: noseV, bv: noseV + 0.28, r: float64(thin * 0.7)}, pal.feature, 1)
	for _, side := range []float64{-1, 1} {
		c.paint(f, capsule{av: noseV + 0.28, bu: side * 0.2, bv: noseV + 0.36, r: float64(thin * 0.7)}, pal.feature, 1)
	}
}

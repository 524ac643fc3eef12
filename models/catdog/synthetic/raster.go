package synthetic

import "math"

// The rasteriser paints shapes given by signed distance functions onto a
// float64 canvas, covering each pixel in proportion to how far its centre lies
// inside the shape (a one-pixel linear ramp across the edge), which is a cheap
// stand-in for supersampling.
//
// Every product that feeds an addition is wrapped in an explicit float64
// conversion. The Go specification lets the compiler fuse x*y + z into one
// fused multiply-add, and it does on arm64, ppc64, s390x, riscv64 and amd64 v3;
// that would change the last bits of results and so, now and then, a pixel's
// byte. The conversion forces the rounding and keeps the images identical
// everywhere.

// canvas is a square luma image being painted, one float64 per pixel in
// [0, 255] (values may stray outside until the final quantisation).
type canvas struct {
	side int
	pix  []float64
}

// frame maps pixel coordinates to a shape's local coordinates: translate by
// (cx, cy), rotate by the angle whose cosine and sine are cos and sin, and
// divide by scale (the number of pixels per local unit).
type frame struct {
	cx, cy   float64
	cos, sin float64
	scale    float64
}

// identity is the frame whose local coordinates are pixel coordinates.
var identity = frame{cos: 1, scale: 1}

// toLocal maps the pixel point (x, y) to local coordinates.
func (f frame) toLocal(x, y float64) (u, v float64) {
	dx, dy := x-f.cx, y-f.cy
	u = (float64(f.cos*dx) + float64(f.sin*dy)) / f.scale
	v = (float64(f.cos*dy) - float64(f.sin*dx)) / f.scale
	return u, v
}

// toPixel maps the local point (u, v) to pixel coordinates.
func (f frame) toPixel(u, v float64) (x, y float64) {
	u, v = u*f.scale, v*f.scale
	x = f.cx + (float64(f.cos*u) - float64(f.sin*v))
	y = f.cy + (float64(f.sin*u) + float64(f.cos*v))
	return x, y
}

// rotation returns the cosine and sine of an angle given by t = tan(angle/2),
// using only correctly rounded IEEE operations (math.Sin and math.Cos may
// differ between architectures in the last bit).
func rotation(t float64) (cos, sin float64) {
	t2 := float64(t * t)
	return (1 - t2) / (1 + t2), 2 * t / (1 + t2)
}

// shape is a region of the plane given by its signed distance function.
type shape interface {
	// dist returns the signed distance from (u, v) to the shape's edge in
	// local units, negative inside.
	dist(u, v float64) float64
	// bound returns a circle, centre (u, v) and radius r, that holds the shape.
	bound() (u, v, r float64)
}

// paint blends tone into c over the shape s placed by f, with the given
// opacity in [0, 1].
func (c *canvas) paint(f frame, s shape, tone, opacity float64) {
	bu, bv, br := s.bound()
	x, y := f.toPixel(bu, bv)
	r := float64(br*f.scale) + 1
	x0, x1 := clampInt(int(math.Floor(x-r)), 0, c.side), clampInt(int(math.Ceil(x+r)), 0, c.side)
	y0, y1 := clampInt(int(math.Floor(y-r)), 0, c.side), clampInt(int(math.Ceil(y+r)), 0, c.side)
	for py := y0; py < y1; py++ {
		row := c.pix[py*c.side : (py+1)*c.side]
		for px := x0; px < x1; px++ {
			u, v := f.toLocal(float64(px)+0.5, float64(py)+0.5)
			coverage := 0.5 - float64(s.dist(u, v)*f.scale)
			if coverage <= 0 {
				continue
			}
			alpha := min(coverage, 1) * opacity
			row[px] += float64(alpha * (tone - row[px]))
		}
	}
}

func clampInt(v, lo, hi int) int { return max(lo, min(v, hi)) }

// dot returns the dot product of (ax, ay) and (bx, by).
func dot(ax, ay, bx, by float64) float64 { return float64(ax*bx) + float64(ay*by) }

// dist2 returns the squared length of (u, v).
func dist2(u, v float64) float64 { return dot(u, v, u, v) }

// cross returns the z component of the cross product of (ax, ay) and (bx, by).
func cross(ax, ay, bx, by float64) float64 { return float64(ax*by) - float64(ay*bx) }

// circle is a disc of radius r centred on (u, v).
type circle struct{ u, v, r float64 }

func (c circle) dist(u, v float64) float64 {
	du, dv := u-c.u, v-c.v
	return math.Sqrt(dot(du, dv, du, dv)) - c.r
}

func (c circle) bound() (u, v, r float64) { return c.u, c.v, c.r }

// ellipse is an axis-aligned ellipse with radii ru and rv centred on (u, v).
// Its distance is Quilez's first-order approximation, exact on the edge,
// which is all the anti-aliasing needs.
type ellipse struct{ u, v, ru, rv float64 }

func (e ellipse) dist(u, v float64) float64 {
	du, dv := u-e.u, v-e.v
	qu, qv := du/e.ru, dv/e.rv
	k0 := math.Sqrt(dot(qu, qv, qu, qv))
	qu, qv = qu/e.ru, qv/e.rv
	k1 := math.Sqrt(dot(qu, qv, qu, qv))
	if k1 == 0 {
		return -min(e.ru, e.rv)
	}
	return k0 * (k0 - 1) / k1
}

func (e ellipse) bound() (u, v, r float64) { return e.u, e.v, max(e.ru, e.rv) }

// capsule is the set of points within r of the segment from (au, av) to
// (bu, bv): a thick line with round caps.
type capsule struct{ au, av, bu, bv, r float64 }

func (c capsule) dist(u, v float64) float64 {
	return segmentDist(u-c.au, v-c.av, c.bu-c.au, c.bv-c.av) - c.r
}

func (c capsule) bound() (u, v, r float64) {
	du, dv := c.bu-c.au, c.bv-c.av
	return (c.au + c.bu) / 2, (c.av + c.bv) / 2, float64(math.Sqrt(dot(du, dv, du, dv))/2) + c.r
}

// segmentDist returns the distance from p to the segment from the origin to
// e, where p and e are relative to the segment's start.
func segmentDist(pu, pv, eu, ev float64) float64 {
	h := min(max(dot(pu, pv, eu, ev)/dot(eu, ev, eu, ev), 0), 1)
	du, dv := pu-float64(eu*h), pv-float64(ev*h)
	return math.Sqrt(dot(du, dv, du, dv))
}

// triangle is the triangle with corners p0, p1, p2, its edges pushed out by
// round to round its corners.
type triangle struct {
	u0, v0, u1, v1, u2, v2 float64
	round                  float64
}

func (t triangle) dist(u, v float64) float64 {
	// Quilez's exact triangle distance: the nearest edge gives the
	// magnitude, the side of every edge gives the sign.
	e0u, e0v := t.u1-t.u0, t.v1-t.v0
	e1u, e1v := t.u2-t.u1, t.v2-t.v1
	e2u, e2v := t.u0-t.u2, t.v0-t.v2
	p0u, p0v := u-t.u0, v-t.v0
	p1u, p1v := u-t.u1, v-t.v1
	p2u, p2v := u-t.u2, v-t.v2
	d := min(segmentDist(p0u, p0v, e0u, e0v), segmentDist(p1u, p1v, e1u, e1v), segmentDist(p2u, p2v, e2u, e2v))
	s := cross(e0u, e0v, e2u, e2v) // the winding: positive or negative
	inside := float64(s*cross(p0u, p0v, e0u, e0v)) > 0 &&
		float64(s*cross(p1u, p1v, e1u, e1v)) > 0 &&
		float64(s*cross(p2u, p2v, e2u, e2v)) > 0
	if inside {
		d = -d
	}
	return d - t.round
}

func (t triangle) bound() (u, v, r float64) {
	u, v = (t.u0+t.u1+t.u2)/3, (t.v0+t.v1+t.v2)/3
	r = max(dist2(t.u0-u, t.v0-v), dist2(t.u1-u, t.v1-v), dist2(t.u2-u, t.v2-v))
	return u, v, math.Sqrt(r) + t.round
}

// shrink returns t scaled by k about its centroid, as for the inner part of
// an ear.
func (t triangle) shrink(k float64) triangle {
	cu, cv := (t.u0+t.u1+t.u2)/3, (t.v0+t.v1+t.v2)/3
	at := func(u, v float64) (float64, float64) {
		return cu + float64((u-cu)*k), cv + float64((v-cv)*k)
	}
	var s triangle
	s.u0, s.v0 = at(t.u0, t.v0)
	s.u1, s.v1 = at(t.u1, t.v1)
	s.u2, s.v2 = at(t.u2, t.v2)
	s.round = float64(t.round * k)
	return s
}

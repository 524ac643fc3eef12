package catdog

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Augmentation says how training images are randomly transformed before
// each step: a mirror image, a shift, a rotation and a zoom, drawn anew for
// every image in every epoch. Validation, test and prediction images are
// never transformed, but a network trained with Flip scores each of them
// as the mean over it and its mirror image (Config.Mirror). The zero
// value turns augmentation off.
type Augmentation struct {
	Flip   bool    `json:"flip"`       // mirror left-right with probability 1/2
	Shift  float64 `json:"shift"`      // largest shift along each axis, as a fraction of the side
	Rotate float64 `json:"rotate_deg"` // largest rotation either way, in degrees
	Zoom   float64 `json:"zoom"`       // largest change of scale: a factor in [1−Zoom, 1+Zoom]
}

// DefaultAugmentation is the small, label-preserving set of changes that
// --augment turns on: a mirror image, shifts up to 6% of the side,
// rotations up to 10° and zooms up to 10%.
func DefaultAugmentation() Augmentation {
	return Augmentation{Flip: true, Shift: 0.06, Rotate: 10, Zoom: 0.1}
}

// Enabled reports whether a changes anything.
func (a Augmentation) Enabled() bool { return a != Augmentation{} }

// String describes the changes in words, e.g. "mirror, shift up to 6%,
// rotation up to 10 degrees, zoom up to 10%", or "off".
func (a Augmentation) String() string {
	var parts []string
	if a.Flip {
		parts = append(parts, "mirror")
	}
	if a.Shift > 0 {
		parts = append(parts, fmt.Sprintf("shift up to %g%%", 100*a.Shift))
	}
	if a.Rotate > 0 {
		parts = append(parts, fmt.Sprintf("rotation up to %g degrees", a.Rotate))
	}
	if a.Zoom > 0 {
		parts = append(parts, fmt.Sprintf("zoom up to %g%%", 100*a.Zoom))
	}
	if len(parts) == 0 {
		return "off"
	}
	return strings.Join(parts, ", ")
}

// Validate checks that the ranges keep the image recognisable.
func (a Augmentation) Validate() error {
	switch {
	case !(a.Shift >= 0 && a.Shift <= 0.5):
		return fmt.Errorf("catdog: augmentation shift %v is not a fraction of the side in [0, 0.5]", a.Shift)
	case !(a.Rotate >= 0 && a.Rotate <= 180):
		return fmt.Errorf("catdog: augmentation rotation %v° is not in [0, 180]", a.Rotate)
	case !(a.Zoom >= 0 && a.Zoom < 1):
		return fmt.Errorf("catdog: augmentation zoom %v is not in [0, 1)", a.Zoom)
	}
	return nil
}

// Transform is the change drawn for one image. The zero value is the
// identity. Applied to an image, it mirrors it (Flip), scales it by 1+Zoom
// and rotates it by Angle about the centre, then shifts it by (DX, DY)
// times the side.
type Transform struct {
	Flip   bool
	Zoom   float64 // relative change of scale
	Angle  float64 // radians, clockwise as seen (y grows downwards)
	DX, DY float64 // fractions of the side, right and down
}

// Draw returns the transform of the training image at index in epoch. It
// is a pure function of its arguments, so a resumed run transforms every
// image exactly as an uninterrupted one.
func (a Augmentation) Draw(seed uint64, epoch, index int) Transform {
	rng := rand.New(rand.NewPCG(seed^0x6175676d656e74, uint64(epoch)<<32^uint64(index)))
	uniform := func(r float64) float64 { return r * (2*rng.Float64() - 1) }
	// Every value is drawn even when its range is 0, so that turning one
	// change off leaves the draws of the others as they were.
	flip := rng.IntN(2) == 1
	t := Transform{Flip: a.Flip && flip, Zoom: uniform(a.Zoom), Angle: uniform(a.Rotate) * math.Pi / 180}
	t.DX, t.DY = uniform(a.Shift), uniform(a.Shift)
	return t
}

// Apply writes src transformed by t into dst (as long), sampling src
// bilinearly; points that fall outside src take the value of the nearest
// edge pixel. src is one or more planes of side×side values (a grayscale
// image, or a colour image's red, green and blue), each moved the same
// way.
func (t Transform) Apply(dst, src []uint8, side int) {
	plane := side * side
	dst = dst[:len(src)]
	if t == (Transform{}) {
		copy(dst, src)
		return
	}
	for p := 0; p+plane <= len(src); p += plane {
		t.applyPlane(dst[p:p+plane], src[p:p+plane], side)
	}
}

// applyPlane is Apply of one side×side plane.
func (t Transform) applyPlane(dst, src []uint8, side int) {
	c := float64(side-1) / 2
	last := float64(side - 1)
	// The inverse of the forward map: undo the shift, then the rotation,
	// then the zoom, then the mirror. It is affine, so along a row the
	// source point moves by a fixed step (du, dv) per pixel.
	sin, cos := math.Sincos(-t.Angle)
	inv := 1 / (1 + t.Zoom)
	dx, dy := t.DX*float64(side), t.DY*float64(side)
	du, dv := cos*inv, sin*inv
	mirror := 1.0
	if t.Flip {
		mirror = -1
	}
	for y := range side {
		u0, v0 := -c-dx, float64(y)-c-dy
		u0, v0 = (u0*cos-v0*sin)*inv, (u0*sin+v0*cos)*inv
		row := dst[y*side : (y+1)*side]
		for x := range row {
			u, v := u0+float64(x)*du, v0+float64(x)*dv
			// Sample at (mirror·u + c, v + c), clamped to the image.
			sx := min(max(mirror*u+c, 0), last)
			sy := min(max(v+c, 0), last)
			x0, y0 := int(sx), int(sy)
			x1, y1 := min(x0+1, side-1), min(y0+1, side-1)
			fx, fy := sx-float64(x0), sy-float64(y0)
			r0, r1 := src[y0*side:], src[y1*side:]
			top := float64(r0[x0]) + (float64(r0[x1])-float64(r0[x0]))*fx
			bottom := float64(r1[x0]) + (float64(r1[x1])-float64(r1[x0]))*fx
			// Round half up: the value is in [0, 255].
			row[x] = uint8(top + (bottom-top)*fy + 0.5)
		}
	}
}

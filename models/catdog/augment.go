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
// never transformed. The zero value turns augmentation off.
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

// Apply writes src (side×side luma values) transformed by t into dst,
// sampling src bilinearly; points that fall outside src take the value of
// the nearest edge pixel.
func (t Transform) Apply(dst, src []uint8, side int) {
	dst, src = dst[:side*side], src[:side*side]
	if t == (Transform{}) {
		copy(dst, src)
		return
	}
	c := float64(side-1) / 2
	// The inverse of the forward map: undo the shift, then the rotation,
	// then the zoom, then the mirror.
	sin, cos := math.Sincos(-t.Angle)
	inv := 1 / (1 + t.Zoom)
	dx, dy := t.DX*float64(side), t.DY*float64(side)
	for y := range side {
		for x := range side {
			u, v := float64(x)-c-dx, float64(y)-c-dy
			u, v = (u*cos-v*sin)*inv, (u*sin+v*cos)*inv
			if t.Flip {
				u = -u
			}
			dst[y*side+x] = bilinear(src, side, u+c, v+c)
		}
	}
}

// bilinear samples img at (x, y), clamping to the edges.
func bilinear(img []uint8, side int, x, y float64) uint8 {
	last := float64(side - 1)
	x, y = min(max(x, 0), last), min(max(y, 0), last)
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, side-1), min(y0+1, side-1)
	fx, fy := x-float64(x0), y-float64(y0)
	at := func(x, y int) float64 { return float64(img[y*side+x]) }
	top := at(x0, y0)*(1-fx) + at(x1, y0)*fx
	bottom := at(x0, y1)*(1-fx) + at(x1, y1)*fx
	return uint8(math.Round(top*(1-fy) + bottom*fy))
}

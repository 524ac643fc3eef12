package catdog

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"github.com/neurone-dl/neurone/models/catdog/synthetic"
)

// testImage is a synthetic drawing: edges and gradients, not flat.
func testImage(t *testing.T) ([]uint8, int) {
	t.Helper()
	set := synthetic.Generate(2, 7, 40)
	return set.Image(0), set.Side
}

func TestTransformIdentity(t *testing.T) {
	t.Parallel()
	src, side := testImage(t)
	dst := make([]uint8, len(src))
	for _, tr := range []Transform{
		{},
		// Zero parameters through the sampling path: a mirror taken twice
		// is checked below; here a rotation by a full turn.
		{Angle: 2 * math.Pi},
	} {
		tr.Apply(dst, src, side)
		if !bytes.Equal(dst, src) {
			t.Errorf("%+v changed the image", tr)
		}
	}
	if got := (Augmentation{}).Draw(1, 2, 3); got.Zoom != 0 || got.Angle != 0 || got.DX != 0 || got.DY != 0 || got.Flip {
		t.Errorf("the zero Augmentation drew %+v, want the identity", got)
	}
}

func TestFlipIsAnInvolution(t *testing.T) {
	t.Parallel()
	src, side := testImage(t)
	once, twice := make([]uint8, len(src)), make([]uint8, len(src))
	flip := Transform{Flip: true}
	flip.Apply(once, src, side)
	flip.Apply(twice, once, side)
	if bytes.Equal(once, src) {
		t.Fatal("a mirror image equals the image; the test image is symmetric")
	}
	if !bytes.Equal(twice, src) {
		t.Error("mirroring twice does not give the image back")
	}
	for y := range side {
		for x := range side {
			if once[y*side+x] != src[y*side+side-1-x] {
				t.Fatalf("mirror at (%d, %d): %d, want %d", x, y, once[y*side+x], src[y*side+side-1-x])
			}
		}
	}
}

func TestShiftMovesPixels(t *testing.T) {
	t.Parallel()
	src, side := testImage(t)
	dst := make([]uint8, len(src))
	// Two pixels right and one down, given as fractions of the side.
	Transform{DX: 2 / float64(side), DY: 1 / float64(side)}.Apply(dst, src, side)
	for y := 1; y < side; y++ {
		for x := 2; x < side; x++ {
			if dst[y*side+x] != src[(y-1)*side+x-2] {
				t.Fatalf("shifted pixel (%d, %d) is %d, want %d", x, y, dst[y*side+x], src[(y-1)*side+x-2])
			}
		}
	}
}

func TestAugmentationIsDeterministic(t *testing.T) {
	t.Parallel()
	a := DefaultAugmentation()
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	src, side := testImage(t)
	apply := func(seed uint64, epoch, index int) []uint8 {
		dst := make([]uint8, len(src))
		a.Draw(seed, epoch, index).Apply(dst, src, side)
		return dst
	}
	base := apply(1, 2, 3)
	if !bytes.Equal(base, apply(1, 2, 3)) {
		t.Error("the same seed, epoch and index gave different images")
	}
	for _, other := range [][3]int{{2, 2, 3}, {1, 3, 3}, {1, 2, 4}} {
		if bytes.Equal(base, apply(uint64(other[0]), other[1], other[2])) {
			t.Errorf("seed, epoch, index %v gave the same image as 1, 2, 3", other)
		}
	}
	// Each draw stays within the ranges.
	for i := range 200 {
		tr := a.Draw(9, 1, i)
		if math.Abs(tr.Zoom) > a.Zoom || math.Abs(tr.Angle) > a.Rotate*math.Pi/180 || math.Abs(tr.DX) > a.Shift || math.Abs(tr.DY) > a.Shift {
			t.Fatalf("draw %d: %+v is outside %+v", i, tr, a)
		}
	}
}

func TestAugmentationValidate(t *testing.T) {
	t.Parallel()
	for _, a := range []Augmentation{{Shift: -0.1}, {Shift: 0.6}, {Rotate: 200}, {Zoom: 1}, {Zoom: math.NaN()}} {
		if a.Validate() == nil {
			t.Errorf("%+v: valid, want an error", a)
		}
	}
}

func TestAugmentationString(t *testing.T) {
	t.Parallel()
	if got := (Augmentation{}).String(); got != "off" {
		t.Errorf("zero Augmentation: %q, want off", got)
	}
	if got, want := (Augmentation{Flip: true, Rotate: 5, Zoom: 0.2}).String(), "mirror, rotation up to 5 degrees, zoom up to 20%"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestApplyMatchesDefinition compares Apply with its definition written
// out plainly: for each pixel, the inverse map, then a bilinear sample of
// the clamped point, rounded. Apply steps along rows instead, so a value
// may differ by one where the sum lands within rounding of a half; no
// more, and rarely.
func TestApplyMatchesDefinition(t *testing.T) {
	t.Parallel()
	set := synthetic.Generate(4, 11, 100)
	side := set.Side
	wide := Augmentation{Flip: true, Shift: 0.3, Rotate: 180, Zoom: 0.5} // beyond the defaults, to reach the edges
	dst := make([]uint8, side*side)
	off, pixels := 0, 0
	for i := range 40 {
		tr := wide.Draw(3, 1, i)
		src := set.Image(i % set.Len())
		tr.Apply(dst, src, side)
		want := applyByDefinition(tr, src, side)
		for k := range dst {
			pixels++
			switch d := int(dst[k]) - int(want[k]); {
			case d > 1 || d < -1:
				t.Fatalf("transform %+v, pixel %d: %d, by definition %d", tr, k, dst[k], want[k])
			case d != 0:
				off++
			}
		}
	}
	if off*1000 > pixels {
		t.Errorf("%d of %d pixels differ by one from the definition, want at most 0.1%%", off, pixels)
	}
	t.Logf("%d of %d pixels differ by one", off, pixels)
}

func applyByDefinition(t Transform, src []uint8, side int) []uint8 {
	dst := make([]uint8, side*side)
	c := float64(side-1) / 2
	last := float64(side - 1)
	sin, cos := math.Sincos(-t.Angle)
	inv := 1 / (1 + t.Zoom)
	for y := range side {
		for x := range side {
			u, v := float64(x)-c-t.DX*float64(side), float64(y)-c-t.DY*float64(side)
			u, v = (u*cos-v*sin)*inv, (u*sin+v*cos)*inv
			if t.Flip {
				u = -u
			}
			px, py := min(max(u+c, 0), last), min(max(v+c, 0), last)
			x0, y0 := int(px), int(py)
			x1, y1 := min(x0+1, side-1), min(y0+1, side-1)
			fx, fy := px-float64(x0), py-float64(y0)
			at := func(x, y int) float64 { return float64(src[y*side+x]) }
			top := at(x0, y0)*(1-fx) + at(x1, y0)*fx
			bottom := at(x0, y1)*(1-fx) + at(x1, y1)*fx
			dst[y*side+x] = uint8(math.Round(top*(1-fy) + bottom*fy))
		}
	}
	return dst
}

// TestApplyMovesColourPlanesAlike transforms colour images: one whose
// three planes are equal keeps them equal, and each plane of another is
// moved as that plane alone, as a grayscale image, would be.
func TestApplyMovesColourPlanesAlike(t *testing.T) {
	t.Parallel()
	set := synthetic.Generate(3, 5, 40)
	side, plane := set.Side, set.Size()
	gray := set.AsRGB().Image(0)
	mixed := slices.Concat(set.Image(0), set.Image(1), set.Image(2)) // three different planes
	wide := Augmentation{Flip: true, Shift: 0.3, Rotate: 180, Zoom: 0.5}
	dst, want := make([]uint8, 3*plane), make([]uint8, plane)
	for i := range 20 {
		tr := wide.Draw(9, 2, i)
		tr.Apply(dst, gray, side)
		if !bytes.Equal(dst[:plane], dst[plane:2*plane]) || !bytes.Equal(dst[:plane], dst[2*plane:]) {
			t.Fatalf("transform %+v made equal planes differ", tr)
		}
		tr.Apply(dst, mixed, side)
		for c := range 3 {
			tr.Apply(want, mixed[c*plane:(c+1)*plane], side)
			if !bytes.Equal(dst[c*plane:(c+1)*plane], want) {
				t.Fatalf("transform %+v: plane %d differs from the plane transformed alone", tr, c)
			}
		}
	}
}

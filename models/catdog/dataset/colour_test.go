package dataset

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// colourQuadrants returns a w x h image whose top-left quarter is red,
// top-right green, bottom-left blue and bottom-right white.
func colourQuadrants(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{0, 0, 0, 255}
			switch right, bottom := x >= w/2, y >= h/2; {
			case !right && !bottom:
				c.R = 255
			case right && !bottom:
				c.G = 255
			case !right && bottom:
				c.B = 255
			default:
				c = color.NRGBA{255, 255, 255, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// plane returns plane c of a decoded RGB image of side×side.
func plane(pix []uint8, side, c int) []uint8 { return pix[c*side*side : (c+1)*side*side] }

// TestDecodeColourPlanes decodes the quadrants as PNG and JPEG, stored
// upright and, for JPEG, sideways with an EXIF orientation, and checks
// each plane in the middle of each quadrant: channel-major, red first.
func TestDecodeColourPlanes(t *testing.T) {
	t.Parallel()
	const side = 16
	upright := colourQuadrants(64, 48)
	// What the phone stores for orientation 6 (turn 90° clockwise to
	// display): the upright image turned anticlockwise.
	stored := image.NewNRGBA(image.Rect(0, 0, 48, 64))
	for y := range 48 {
		for x := range 64 {
			stored.SetNRGBA(y, 63-x, upright.NRGBAAt(x, y))
		}
	}
	tests := []struct {
		name string
		data []byte
		tol  int
	}{
		{"png", encode(t, "png", upright), 0},
		{"jpeg", encode(t, "jpeg", upright), 12},
		{"jpeg turned by EXIF", exifJPEG(t, stored, binary.BigEndian, 6), 12},
	}
	// Points well inside each quadrant, and their colour.
	want := []struct {
		x, y    int
		r, g, b uint8
	}{{3, 3, 255, 0, 0}, {12, 3, 0, 255, 0}, {3, 12, 0, 0, 255}, {12, 12, 255, 255, 255}}
	for _, tt := range tests {
		for _, crop := range []bool{false, true} {
			pix, err := Decode(bytes.NewReader(tt.data), Options{Side: side, Crop: crop, Channels: RGB})
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if len(pix) != RGB*side*side {
				t.Fatalf("%s: %d values, want %d", tt.name, len(pix), RGB*side*side)
			}
			for _, w := range want {
				for c, v := range []uint8{w.r, w.g, w.b} {
					if got := plane(pix, side, c)[w.y*side+w.x]; absDiff(got, v) > uint8(tt.tol) {
						t.Errorf("%s, crop %t: channel %d at (%d, %d) = %d, want %d ± %d", tt.name, crop, c, w.x, w.y, got, v, tt.tol)
					}
				}
			}
		}
	}
}

// TestColourPlanesMatchGrayscale decodes a noisy colour PNG as RGB and
// each of its channels, stored as a grayscale PNG, as grayscale: the
// planes must be those, value for value, cropped or stretched, so colour
// is resized exactly as grayscale is.
func TestColourPlanesMatchGrayscale(t *testing.T) {
	t.Parallel()
	const side = 20
	img := noisy(67, 45, 3)
	for _, crop := range []bool{false, true} {
		rgb, err := Decode(bytes.NewReader(encode(t, "png", img)), Options{Side: side, Crop: crop, Channels: RGB})
		if err != nil {
			t.Fatal(err)
		}
		for c := range RGB {
			g := image.NewGray(img.Rect)
			for i := range g.Pix {
				g.Pix[i] = img.Pix[4*i+c]
			}
			want, err := Decode(bytes.NewReader(encode(t, "png", g)), Options{Side: side, Crop: crop})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(plane(rgb, side, c), want) {
				t.Errorf("crop %t: channel %d differs from its grayscale decoding", crop, c)
			}
		}
	}
}

// TestDecodeColourAlpha checks that opaque colours come through exactly,
// whatever the decoded type (premultiplied RGBA, 16-bit, paletted, gray),
// and that transparency is composited over white, not black.
func TestDecodeColourAlpha(t *testing.T) {
	t.Parallel()
	rect := image.Rect(0, 0, 24, 18)
	rgba := image.NewRGBA(rect) // PNG decodes an opaque RGBA image as *image.RGBA
	rgba64 := image.NewRGBA64(rect)
	paletted := image.NewPaletted(rect, color.Palette{color.Black, color.RGBA{200, 100, 50, 255}})
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			rgba.SetRGBA(x, y, color.RGBA{200, 100, 50, 255})
			rgba64.SetRGBA64(x, y, color.RGBA64{200 * 257, 100 * 257, 50 * 257, 0xffff})
			paletted.SetColorIndex(x, y, 1)
		}
	}
	tests := []struct {
		name    string
		format  string
		img     image.Image
		r, g, b uint8
	}{
		{"opaque RGBA", "png", rgba, 200, 100, 50},
		{"opaque NRGBA", "png", solid(24, 18, color.NRGBA{200, 100, 50, 255}), 200, 100, 50},
		{"16-bit", "png", rgba64, 200, 100, 50},
		{"paletted", "gif", paletted, 200, 100, 50},
		{"bmp", "bmp", solid(24, 18, color.NRGBA{200, 100, 50, 255}), 200, 100, 50},
		{"gray", "png", image.NewGray(rect), 0, 0, 0},
		{"transparent", "png", solid(24, 18, color.NRGBA{200, 100, 50, 0}), 255, 255, 255},
		{"half-transparent red", "png", solid(24, 18, color.NRGBA{255, 0, 0, 128}), 255, 127, 127},
	}
	for _, tt := range tests {
		pix, err := Decode(bytes.NewReader(encode(t, tt.format, tt.img)), Options{Side: 8, Channels: RGB})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		for c, v := range []uint8{tt.r, tt.g, tt.b} {
			for i, got := range plane(pix, 8, c) {
				if absDiff(got, v) > 1 || (tt.name != "half-transparent red" && got != v) {
					t.Fatalf("%s: channel %d, pixel %d = %d, want %d", tt.name, c, i, got, v)
				}
			}
		}
	}
}

// TestOrientRGBAMatchesOrient turns a colour image for every EXIF
// orientation and checks each channel against orient of that channel,
// for a sub-image whose bounds do not start at (0, 0).
func TestOrientRGBAMatchesOrient(t *testing.T) {
	t.Parallel()
	src := noisy(9, 6, 5)
	m := image.NewRGBA(image.Rect(-2, 3, 7, 9))
	copy(m.Pix, src.Pix)
	r := image.Rect(-1, 4, 6, 8)
	for o := 1; o <= 8; o++ {
		got := orientRGBA(m, r, o)
		if o == 1 {
			got = m.SubImage(r).(*image.RGBA)
		}
		for c := range RGB {
			g := image.NewGray(m.Rect)
			for i := range g.Pix {
				g.Pix[i] = m.Pix[4*i+c]
			}
			want := orient(g, r, o)
			if o == 1 {
				want = g.SubImage(r).(*image.Gray)
			}
			if got.Bounds().Size() != want.Bounds().Size() {
				t.Fatalf("orientation %d: %v, want %v", o, got.Bounds(), want.Bounds())
			}
			b, wb := got.Bounds(), want.Bounds()
			for y := range b.Dy() {
				for x := range b.Dx() {
					v := got.Pix[got.PixOffset(b.Min.X+x, b.Min.Y+y)+c]
					if w := want.GrayAt(wb.Min.X+x, wb.Min.Y+y).Y; v != w {
						t.Fatalf("orientation %d, channel %d, (%d, %d): %d, want %d", o, c, x, y, v, w)
					}
				}
			}
		}
	}
}

func TestOptionsRejectChannels(t *testing.T) {
	t.Parallel()
	for _, n := range []int{-1, 2, 4} {
		_, err := Decode(bytes.NewReader(encode(t, "png", solid(4, 4, color.White))), Options{Channels: n})
		if err == nil || !strings.Contains(err.Error(), "channels") {
			t.Errorf("Channels %d: %v, want an error naming the channels", n, err)
		}
	}
}

// TestCacheKeepsGrayAndColourApart loads a folder as grayscale and as
// colour into one cache folder: each gets its own cache file and its own
// images back, and a colour cache file put where the grayscale one
// belongs is not taken for it.
func TestCacheKeepsGrayAndColourApart(t *testing.T) {
	t.Parallel()
	dir := cacheFolder(t)
	gray := Options{Side: 10, Workers: 2, CacheDir: filepath.Join(t.TempDir(), "cache")}
	colour := gray
	colour.Channels = RGB

	grayFresh, _ := load(t, dir, gray, 8)
	colourFresh, _ := load(t, dir, colour, 8) // none from the grayscale cache
	if n := len(cacheFiles(t, gray.CacheDir)); n != 2 {
		t.Fatalf("%d cache files, want one grayscale and one colour", n)
	}
	if grayFresh.Size() != 100 || colourFresh.Size() != 300 || colourFresh.Channels != RGB {
		t.Fatalf("image sizes %d and %d (channels %d), want 100 and 300 (3)", grayFresh.Size(), colourFresh.Size(), colourFresh.Channels)
	}
	grayCached, _ := load(t, dir, gray, 0)
	colourCached, _ := load(t, dir, colour, 0)
	if !bytes.Equal(grayCached.Pixels, grayFresh.Pixels) || !bytes.Equal(colourCached.Pixels, colourFresh.Pixels) {
		t.Fatal("the cached images differ from the decoded ones")
	}

	withDefaults := func(opt Options) Options {
		opt, err := opt.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		return opt
	}
	data, err := os.ReadFile(openCache(dir, withDefaults(colour)).path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(openCache(dir, withDefaults(gray)).path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	again, _ := load(t, dir, gray, 8)
	if !bytes.Equal(again.Pixels, grayFresh.Pixels) {
		t.Fatal("grayscale images decoded again differ from the first decoding")
	}
}

// TestAsRGB checks that a grayscale set becomes three equal planes, with
// its labels and paths, and that Subset and Append keep the channels.
func TestAsRGB(t *testing.T) {
	t.Parallel()
	gray := syntheticSet(3, 2)
	rgb := gray.AsRGB()
	if rgb.Channels != RGB || rgb.Len() != gray.Len() || rgb.Size() != RGB*gray.Size() || rgb.AsRGB() != rgb {
		t.Fatalf("AsRGB: %d images of %d values, channels %d", rgb.Len(), rgb.Size(), rgb.Channels)
	}
	for i := range gray.Len() {
		for c := range RGB {
			if !bytes.Equal(plane(rgb.Image(i), gray.Side, c), gray.Image(i)) || rgb.Labels[i] != gray.Labels[i] || rgb.Paths[i] != gray.Paths[i] {
				t.Fatalf("image %d, channel %d differs from the grayscale image", i, c)
			}
		}
	}
	sub := rgb.Subset([]int{1, 0})
	if sub.Channels != RGB || !bytes.Equal(sub.Image(1), rgb.Image(0)) {
		t.Errorf("Subset: channels %d, or other images", sub.Channels)
	}
	if err := gray.Append(rgb); err == nil {
		t.Error("a colour set was appended to a grayscale one")
	}
	// Fill encodes every value of every plane, an image per row.
	x := make([]float32, 2*rgb.Size())
	rgb.Fill(Centred, x, nil, []int{2, 4})
	for r, i := range []int{2, 4} {
		for j, p := range rgb.Image(i) {
			if want := float32(p)*(2.0/255) - 1; x[r*rgb.Size()+j] != want {
				t.Fatalf("Fill: image %d, value %d is %v, want %v", i, j, x[r*rgb.Size()+j], want)
			}
		}
	}
}

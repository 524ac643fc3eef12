package dataset

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

// lumaOf is BT.601 luma, computed independently of color.GrayModel.
func lumaOf(r, g, b float64) float64 { return 0.299*r + 0.587*g + 0.114*b }

// checkAll fails unless every value of pix is within tol of want.
func checkAll(t *testing.T, pix []uint8, want float64, tol float64) {
	t.Helper()
	for i, p := range pix {
		if d := float64(p) - want; !scalar.EqualWithinAbs(d, 0, tol) {
			t.Fatalf("pixel %d = %d, want %.1f ± %.0f", i, p, want, tol)
		}
	}
}

func TestDecodeSolidColour(t *testing.T) {
	t.Parallel()
	rgb := color.NRGBA{R: 200, G: 100, B: 50, A: 255}
	want := lumaOf(200, 100, 50) // 124.2

	paletted := image.NewPaletted(image.Rect(0, 0, 30, 20), color.Palette{color.Black, rgb})
	for i := range paletted.Pix {
		paletted.Pix[i] = 1
	}
	rgba64 := image.NewRGBA64(image.Rect(0, 0, 30, 20))
	gray16 := image.NewGray16(image.Rect(0, 0, 30, 20))
	for y := range 20 {
		for x := range 30 {
			rgba64.Set(x, y, color.RGBA64{R: 200 * 257, G: 100 * 257, B: 50 * 257, A: 0xffff})
			gray16.Set(x, y, color.Gray16{Y: 124 * 257})
		}
	}

	tests := []struct {
		name   string
		format string
		img    image.Image
		want   float64
		tol    float64
	}{
		{"png", "png", solid(30, 20, rgb), want, 0.5},
		{"png 16-bit RGBA", "png", rgba64, want, 0.5},
		{"png 16-bit gray", "png", gray16, 124, 0},
		{"jpeg", "jpeg", solid(30, 20, rgb), want, 1.5},
		{"gif paletted", "gif", paletted, want, 0.5},
		{"bmp", "bmp", solid(30, 20, rgb), want, 0.5},
		{"png white", "png", solid(30, 20, color.White), 255, 0},
		{"png black", "png", solid(30, 20, color.Black), 0, 0},
		{"png transparent over white", "png", solid(30, 20, color.NRGBA{}), 255, 0},
		{"png half-transparent black", "png", solid(30, 20, color.NRGBA{A: 128}), 127, 0.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, crop := range []bool{false, true} {
				pix, err := Decode(bytes.NewReader(encode(t, tc.format, tc.img)), Options{Side: 16, Crop: crop})
				if err != nil {
					t.Fatal(err)
				}
				if len(pix) != 16*16 {
					t.Fatalf("got %d pixels, want %d", len(pix), 16*16)
				}
				checkAll(t, pix, tc.want, tc.tol)
			}
		})
	}
}

func TestGrayMatchesGrayModel(t *testing.T) {
	t.Parallel()
	for r := 0; r < 256; r += 3 {
		for g := 0; g < 256; g += 5 {
			for b := 0; b < 256; b += 7 {
				c := color.RGBA{uint8(r), uint8(g), uint8(b), 255}
				if got, want := gray(c), color.GrayModel.Convert(c).(color.Gray).Y; got != want {
					t.Fatalf("gray(%v) = %d, color.GrayModel gives %d", c, got, want)
				}
			}
		}
	}
	// Transparency is composited over white.
	for _, tc := range []struct {
		c    color.Color
		want uint8
	}{
		{color.NRGBA{0, 0, 0, 0}, 255},
		{color.NRGBA{0, 0, 0, 255}, 0},
		{color.NRGBA{0, 0, 0, 128}, 127},
		{color.NRGBA{200, 100, 50, 0}, 255},
		{color.NRGBA{255, 255, 255, 77}, 255},
	} {
		if got := gray(tc.c); got != tc.want {
			t.Errorf("gray(%v) = %d, want %d", tc.c, got, tc.want)
		}
	}
}

// TestToGrayMatchesGrayModel checks the conversion of opaque images of
// several types, CMYK among them, against color.GrayModel.
func TestToGrayMatchesGrayModel(t *testing.T) {
	t.Parallel()
	colours := []color.Color{color.CMYK{0, 0, 0, 0}, color.CMYK{255, 0, 0, 0}, color.CMYK{0, 128, 64, 10},
		color.RGBA{10, 20, 30, 255}, color.NRGBA{200, 100, 50, 255}, color.Gray16{0x7777}}
	rect := image.Rect(0, 0, len(colours), 1)
	for _, img := range []draw.Image{image.NewCMYK(rect), image.NewRGBA(rect), image.NewNRGBA(rect),
		image.NewRGBA64(rect), image.NewNRGBA64(rect), image.NewGray16(rect)} {
		for x, c := range colours {
			img.Set(x, 0, c)
		}
		got := toGray(img, rect)
		for x := range colours {
			want := color.GrayModel.Convert(img.At(x, 0)).(color.Gray).Y
			if got.GrayAt(x, 0).Y != want {
				t.Errorf("%T %v: luma %d, want %d", img, img.At(x, 0), got.GrayAt(x, 0).Y, want)
			}
		}
	}
}

// TestDecodeReferenceImages decodes formats Go cannot encode (CMYK JPEG,
// WebP) and compares them with the same pictures stored as PNG.
func TestDecodeReferenceImages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, reference string
		tol             float64 // mean absolute difference allowed
	}{
		{"video-001.cmyk.jpeg", "video-001.cmyk.png", 3},
		{"gopher-doc.1bpp.lossless.webp", "gopher-doc.1bpp.png", 0},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			opt := Options{Side: 32}
			got, err := LoadImage(filepath.Join("testdata", tc.file), opt)
			if err != nil {
				t.Fatal(err)
			}
			want, err := LoadImage(filepath.Join("testdata", tc.reference), opt)
			if err != nil {
				t.Fatal(err)
			}
			var sum float64
			for i := range got {
				sum += abs(float64(got[i]) - float64(want[i]))
			}
			if mean := sum / float64(len(got)); mean > tc.tol {
				t.Errorf("mean difference from %s is %.2f, want at most %.0f", tc.reference, mean, tc.tol)
			}
		})
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// halves returns a w x h image whose left half is dark and right half bright.
func halves(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Pix[y*w+x] = 20
			if x >= w/2 {
				img.Pix[y*w+x] = 230
			}
		}
	}
	return img
}

func TestResizeKeepsLeftDarkRightBright(t *testing.T) {
	t.Parallel()
	const side = 32
	for _, crop := range []bool{false, true} {
		pix, err := Decode(bytes.NewReader(encode(t, "png", halves(300, 200))), Options{Side: side, Crop: crop})
		if err != nil {
			t.Fatal(err)
		}
		for y := range side {
			row := pix[y*side : (y+1)*side]
			// Away from the edge, the filter must not blur or ring.
			checkAll(t, row[:side/2-3], 20, 1)
			checkAll(t, row[side/2+3:], 230, 1)
		}
	}
}

// bands returns a w x h image cut in three equal bands across its longer
// side: black, white, black.
func bands(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			pos, length := x, w
			if h > w {
				pos, length = y, h
			}
			if pos >= length/3 && pos < 2*length/3 {
				img.Pix[y*w+x] = 255
			}
		}
	}
	return img
}

func TestCropVersusStretch(t *testing.T) {
	t.Parallel()
	const side = 30
	for _, size := range []image.Point{{300, 100}, {100, 300}} {
		data := encode(t, "png", bands(size.X, size.Y))
		cropped, err := Decode(bytes.NewReader(data), Options{Side: side, Crop: true})
		if err != nil {
			t.Fatal(err)
		}
		// The centre square is the white band alone.
		checkAll(t, cropped, 255, 0)

		stretched, err := Decode(bytes.NewReader(data), Options{Side: side})
		if err != nil {
			t.Fatal(err)
		}
		// Stretching keeps all three bands, each a third of the side.
		at := func(i int) uint8 { // the i-th pixel along the longer side
			if size.X > size.Y {
				return stretched[side/2*side+i]
			}
			return stretched[i*side+side/2]
		}
		if at(2) > 5 || at(side/2) < 250 || at(side-3) > 5 {
			t.Errorf("%v stretched: along the long side %d, %d, %d; want black, white, black", size, at(2), at(side/2), at(side-3))
		}
	}
}

// TestDownscaleAverages checks that shrinking a lot filters rather than
// samples: a one-pixel checkerboard must come out mid-grey, where a
// nearest-neighbour resize would give black or white.
func TestDownscaleAverages(t *testing.T) {
	t.Parallel()
	img := image.NewGray(image.Rect(0, 0, 400, 400))
	for y := range 400 {
		for x := range 400 {
			if (x+y)%2 == 0 {
				img.Pix[y*400+x] = 255
			}
		}
	}
	pix, err := Decode(bytes.NewReader(encode(t, "png", img)), Options{Side: 20})
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, pix, 127.5, 3)
}

// panicFormat is a registered image format whose decoder panics, standing
// in for a decoder bug.
const panicMagic = "PANICFMT"

func init() {
	image.RegisterFormat("panicfmt", panicMagic,
		func(io.Reader) (image.Image, error) { panic("decoder bug") },
		func(io.Reader) (image.Config, error) { return image.Config{Width: 10, Height: 10}, nil })
}

func TestDecodeBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		data     []byte
		kind     string
		contains string
	}{
		{"empty", nil, kindEmpty, "empty file"},
		{"text", []byte("not really a JPEG\n"), kindUnknown, "not a supported image: content is not JPEG, PNG, GIF, BMP or WebP"},
		{"truncated JPEG", truncatedJPEG(t), "corrupt JPEG", "corrupt JPEG: "},
		{"corrupt PNG header", []byte("\x89PNG\r\n\x1a\nxxxxxxxxxxxxxxxxxxx"), "corrupt PNG", "corrupt PNG"},
		{"bomb", bombPNG(100000, 100000), kindOversized, "100000x100000 = 10000000000 pixels, over the limit of 50000000"},
		{"zero size", zeroSizeGIF(), kindZeroSize, "0x0"},
		{"decoder panic", []byte(panicMagic + "........"), kindPanic, "decoder bug"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode(bytes.NewReader(tc.data), Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if got := errorKind(err); got != tc.kind {
				t.Errorf("kind %q, want %q (error: %v)", got, tc.kind, err)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not say %q", err, tc.contains)
			}
		})
	}
}

func TestDecodeLimitIsConfigurable(t *testing.T) {
	t.Parallel()
	data := encode(t, "png", noisy(40, 30, 1))
	if _, err := Decode(bytes.NewReader(data), Options{MaxPixels: 1199}); errorKind(err) != kindOversized {
		t.Errorf("40x30 with a limit of 1199 pixels: got %v, want an oversized-image error", err)
	}
	if _, err := Decode(bytes.NewReader(data), Options{MaxPixels: 1200}); err != nil {
		t.Errorf("40x30 with a limit of 1200 pixels: %v", err)
	}
}

func TestDecodeFromPlainReader(t *testing.T) {
	t.Parallel()
	data := encode(t, "png", noisy(40, 30, 2))
	want, err := Decode(bytes.NewReader(data), Options{Side: 8})
	if err != nil {
		t.Fatal(err)
	}
	// io.MultiReader hides Seek, so Decode must buffer.
	got, err := Decode(io.MultiReader(bytes.NewReader(data)), Options{Side: 8})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("decoding from a plain reader differs from decoding from a seeker")
	}
}

func TestLoadImage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := writeFile(t, dir, "good.png", encode(t, "png", solid(10, 10, color.Gray{Y: 77})))
	pix, err := LoadImage(good, Options{Side: 5})
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, pix, 77, 0)

	bad := writeFile(t, dir, "bad.jpg", []byte("hello"))
	missing := filepath.Join(dir, "missing.jpg")
	for _, path := range []string{bad, missing} {
		_, err := LoadImage(path, Options{})
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("LoadImage(%s): error %v does not name the file", path, err)
		}
	}
	if _, err := LoadImage(missing, Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadImage of a missing file: %v, want it to wrap os.ErrNotExist", err)
	}
}

func TestOptionsRejectNegatives(t *testing.T) {
	t.Parallel()
	data := encode(t, "png", noisy(4, 4, 3))
	for _, opt := range []Options{{Side: -1}, {Workers: -2}, {MaxPixels: -3}} {
		if _, err := Decode(bytes.NewReader(data), opt); err == nil {
			t.Errorf("Decode with %+v: no error", opt)
		}
	}
}

// TestPNGEncoderRoundTrip guards the helpers: png.Decode of a 16-bit image
// must give a 16-bit type, so the 16-bit cases above test what they say.
func TestPNGEncoderRoundTrip(t *testing.T) {
	t.Parallel()
	img, err := png.Decode(bytes.NewReader(encode(t, "png", image.NewRGBA64(image.Rect(0, 0, 2, 2)))))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.RGBA64); !ok {
		if _, ok := img.(*image.NRGBA64); !ok {
			t.Errorf("16-bit PNG decodes to %T", img)
		}
	}
}

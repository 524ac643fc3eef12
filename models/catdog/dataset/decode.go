package dataset

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	// Decoders register themselves with package image; the file's content,
	// not its extension, picks the one that runs.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"

	"golang.org/x/image/draw"
)

// Defaults for the zero values of Options.
const (
	defaultSide      = 100
	defaultMaxPixels = 50_000_000
)

// Options say how images are turned into model input. Whatever they say,
// a JPEG is first turned upright as its EXIF Orientation tag says (phones
// store photos as the sensor saw them and set the tag), as photo viewers
// show it.
type Options struct {
	Side int  // output side in pixels; 0 means 100
	Crop bool // centre-crop to a square before resizing; false stretches
	// Channels is Grayscale (0 means it) for Side*Side luma values, or
	// RGB for red, green and blue planes of Side*Side values each, one
	// after the other (channel-major, as a network's N×C×H×W input takes
	// them).
	Channels  int
	Workers   int    // parallel decoders; 0 means runtime.NumCPU()
	CacheDir  string // folder for the decoded-image cache; "" disables caching
	MaxPixels int    // refuse images whose header says width*height exceeds this; 0 means 50_000_000
}

// withDefaults checks opt and fills in its zero values.
func (opt Options) withDefaults() (Options, error) {
	switch {
	case opt.Side < 0:
		return opt, fmt.Errorf("dataset: image side %d is negative", opt.Side)
	case opt.Workers < 0:
		return opt, fmt.Errorf("dataset: worker count %d is negative", opt.Workers)
	case opt.MaxPixels < 0:
		return opt, fmt.Errorf("dataset: pixel limit %d is negative", opt.MaxPixels)
	case opt.Channels != 0 && opt.Channels != Grayscale && opt.Channels != RGB:
		return opt, fmt.Errorf("dataset: %d channels; want %d (grayscale) or %d (RGB)", opt.Channels, Grayscale, RGB)
	}
	if opt.Channels == 0 {
		opt.Channels = Grayscale
	}
	if opt.Side == 0 {
		opt.Side = defaultSide
	}
	if opt.Workers == 0 {
		opt.Workers = runtime.NumCPU()
	}
	if opt.MaxPixels == 0 {
		opt.MaxPixels = defaultMaxPixels
	}
	return opt, nil
}

// imageExts are the file extensions, in lower case, that name candidate
// images. Everything else in a folder is ignored.
var imageExts = []string{".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp"}

// isImageName reports whether name has one of imageExts, in any case.
func isImageName(name string) bool {
	return slices.Contains(imageExts, strings.ToLower(filepath.Ext(name)))
}

// Kinds of problem that make a file unusable. Report.Summary counts skipped
// files by kind, and the cache stores the kind with the message.
const (
	kindEmpty      = "empty file"
	kindUnreadable = "unreadable file"
	kindUnknown    = "not a supported image"
	kindOversized  = "oversized image"
	kindZeroSize   = "zero-size image"
	kindPanic      = "decoder crash"
	// A corrupt file's kind is "corrupt " plus its format, as sniffed from
	// its first bytes: "corrupt JPEG", "corrupt PNG", ...
	kindCorruptPrefix = "corrupt "
)

// errUnknownContent is the cause given for a file no decoder recognises.
var errUnknownContent = errors.New("content is not JPEG, PNG, GIF, BMP or WebP")

// fileError says why one image could not be used. Its message starts with
// the kind, so it reads well on its own ("corrupt JPEG: unexpected EOF").
type fileError struct {
	kind string
	err  error // the underlying cause; may be nil
}

func (e *fileError) Error() string {
	if e.err == nil {
		return e.kind
	}
	return e.kind + ": " + e.err.Error()
}

func (e *fileError) Unwrap() error { return e.err }

// errorKind returns the kind of a fileError, or "other" for any other error.
func errorKind(err error) string {
	var fe *fileError
	if errors.As(err, &fe) {
		return fe.kind
	}
	return "other"
}

// LoadImage reads one image file and returns its Side*Side luma bytes, or
// its Channels planes of them, preprocessed as opt says. The file's
// content, not its name, picks the decoder. Errors name the file.
func LoadImage(path string, opt Options) ([]uint8, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	pix, err := loadFile(path, opt, nil)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", path, err)
	}
	return pix, nil
}

// Decode reads one image from r and returns its Side*Side luma bytes, or
// its Channels planes of them, preprocessed as opt says. A reader that is
// not an io.ReadSeeker is read into memory first, so that the header can
// be checked before decoding.
func Decode(r io.Reader, opt Options) ([]uint8, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	rs, ok := r.(io.ReadSeeker)
	if !ok {
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("dataset: decoding image: %w", &fileError{kindUnreadable, err})
		}
		rs = bytes.NewReader(data)
	}
	pix, err := decodeSafely(rs, opt, nil)
	if err != nil {
		return nil, fmt.Errorf("dataset: decoding image: %w", err)
	}
	return pix, nil
}

// loadFile is LoadImage without the defaults and the path in the error,
// which LoadFolder records separately. opt must have its defaults set. The
// pixels go to dst when it has room for them.
func loadFile(path string, opt Options, dst []uint8) ([]uint8, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &fileError{kindUnreadable, err}
	}
	defer f.Close()
	return decodeSafely(f, opt, dst)
}

// decodeSafely runs decode and turns a panic inside a decoder (they have
// had bugs on hostile input) into an error, so one file cannot stop a run.
func decodeSafely(rs io.ReadSeeker, opt Options, dst []uint8) (pix []uint8, err error) {
	defer func() {
		if p := recover(); p != nil {
			pix, err = nil, &fileError{kindPanic, fmt.Errorf("%v", p)}
		}
	}()
	return decode(rs, opt, dst)
}

// decode checks the image header against opt.MaxPixels before decoding, so
// a small file claiming a huge size (a decompression bomb) is refused
// without allocating its pixels, then decodes and preprocesses the image.
func decode(rs io.ReadSeeker, opt Options, dst []uint8) ([]uint8, error) {
	br := bufio.NewReader(rs)
	head, err := br.Peek(16)
	if len(head) == 0 {
		if err == nil || err == io.EOF {
			return nil, &fileError{kind: kindEmpty}
		}
		return nil, &fileError{kindUnreadable, err}
	}
	format := sniffFormat(head)
	corrupt := func(err error) error {
		if errors.Is(err, image.ErrFormat) {
			return &fileError{kindUnknown, errUnknownContent}
		}
		if format == "" {
			return &fileError{kindUnknown, err}
		}
		return &fileError{kindCorruptPrefix + format, err}
	}

	cfg, _, err := image.DecodeConfig(br)
	if err != nil {
		return nil, corrupt(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, &fileError{kindZeroSize, fmt.Errorf("header says %dx%d", cfg.Width, cfg.Height)}
	}
	if n := int64(cfg.Width) * int64(cfg.Height); n > int64(opt.MaxPixels) {
		return nil, &fileError{kindOversized, fmt.Errorf("header says %dx%d = %d pixels, over the limit of %d",
			cfg.Width, cfg.Height, n, opt.MaxPixels)}
	}

	orientation := orientUpright
	if format == "JPEG" {
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return nil, &fileError{kindUnreadable, err}
		}
		orientation = jpegOrientation(bufio.NewReader(rs))
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return nil, &fileError{kindUnreadable, err}
	}
	img, _, err := image.Decode(bufio.NewReader(rs))
	if err != nil {
		return nil, corrupt(err)
	}
	// A GIF's first frame may be smaller than the screen size in its
	// header, so the decoded size is checked again rather than compared.
	if b := img.Bounds(); b.Empty() || int64(b.Dx())*int64(b.Dy()) > int64(opt.MaxPixels) {
		return nil, corrupt(fmt.Errorf("header says %dx%d but the decoded image is %dx%d", cfg.Width, cfg.Height, b.Dx(), b.Dy()))
	}
	return preprocess(img, orientation, opt, dst), nil
}

// sniffFormat names the format whose signature starts head, or returns ""
// when none matches. It only names the format in error messages: the
// decoders registered with package image do their own matching.
func sniffFormat(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("\xff\xd8")):
		return "JPEG"
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "PNG"
	case bytes.HasPrefix(head, []byte("GIF8")):
		return "GIF"
	case bytes.HasPrefix(head, []byte("BM")):
		return "BMP"
	case len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")) && string(head[8:12]) == "WEBP":
		return "WebP"
	}
	return ""
}

// preprocess turns img into opt.Side² luma bytes, or opt.Channels planes
// of them: grayscale or RGB first (only the part that is kept, when
// cropping an upright image), then turned upright as the EXIF orientation
// says, then a centre crop to a square if opt.Crop is set, then a
// Catmull-Rom resize. The draw package widens the kernel when shrinking,
// so a 4000-pixel photo is averaged down rather than sampled (which would
// alias). The result goes to dst when it has room for it, and to a new
// slice otherwise.
func preprocess(img image.Image, orientation int, opt Options, dst []uint8) []uint8 {
	sr := img.Bounds()
	if orientation == orientUpright && opt.Crop {
		sr = centreSquare(sr)
	}
	// Either conversion returns an image holding sr, upright.
	var src image.Image
	if opt.Channels == RGB {
		src = orientRGBA(toRGBA(img, sr), sr, orientation)
	} else {
		src = orient(toGray(img, sr), sr, orientation)
	}
	if orientation != orientUpright {
		// The crop is taken from the upright image, so that its rounding
		// is the same as for a photo stored upright.
		sr = src.Bounds()
		if opt.Crop {
			sr = centreSquare(sr)
		}
	}
	side := opt.Side
	n := opt.Channels * side * side
	if len(dst) < n {
		dst = make([]uint8, n)
	}
	dst = dst[:n]
	if opt.Channels == RGB {
		out := image.NewRGBA(image.Rect(0, 0, side, side))
		draw.CatmullRom.Scale(out, out.Rect, src, sr, draw.Src, nil)
		toPlanes(dst, out.Pix)
		return dst
	}
	out := &image.Gray{Pix: dst, Stride: side, Rect: image.Rect(0, 0, side, side)}
	draw.CatmullRom.Scale(out, out.Rect, src, sr, draw.Src, nil)
	return dst
}

// centreSquare returns the largest square centred in r.
func centreSquare(r image.Rectangle) image.Rectangle {
	w, h := r.Dx(), r.Dy()
	if w > h {
		x := r.Min.X + (w-h)/2
		return image.Rect(x, r.Min.Y, x+h, r.Max.Y)
	}
	y := r.Min.Y + (h-w)/2
	return image.Rect(r.Min.X, y, r.Max.X, y+w)
}

// toGray returns an *image.Gray holding at least the pixels of img in r, at
// the same coordinates.
//
// A JPEG's Y plane already is luma with color.GrayModel's weights (ITU-R
// BT.601), so it is used as it is, without a copy. Other images are
// converted pixel by pixel with those weights (see gray).
func toGray(img image.Image, r image.Rectangle) *image.Gray {
	switch m := img.(type) {
	case *image.Gray:
		return m
	case *image.YCbCr:
		return &image.Gray{Pix: m.Y, Stride: m.YStride, Rect: m.Rect}
	}
	out := image.NewGray(r)
	eachPixel(img, r, out.Pix, 1, func(p []uint8, r, g, b, a uint32) { p[0] = luma(r, g, b, a) })
	return out
}

// eachPixel calls put for each pixel of img in r with its part of dst, a
// buffer of r's pixels, bpp bytes each, row after row, and its
// premultiplied 16-bit colour (as color.Color's RGBA method gives it). It
// reads the common decoded types directly rather than through At, which
// allocates.
func eachPixel(img image.Image, r image.Rectangle, dst []uint8, bpp int, put func(p []uint8, r, g, b, a uint32)) {
	i := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		switch m := img.(type) {
		case *image.RGBA:
			for x := r.Min.X; x < r.Max.X; x++ {
				p := m.Pix[m.PixOffset(x, y):]
				r, g, b, a := color.RGBA{p[0], p[1], p[2], p[3]}.RGBA()
				put(dst[i:i+bpp], r, g, b, a)
				i += bpp
			}
		case *image.NRGBA:
			for x := r.Min.X; x < r.Max.X; x++ {
				p := m.Pix[m.PixOffset(x, y):]
				r, g, b, a := color.NRGBA{p[0], p[1], p[2], p[3]}.RGBA()
				put(dst[i:i+bpp], r, g, b, a)
				i += bpp
			}
		default:
			for x := r.Min.X; x < r.Max.X; x++ {
				r, g, b, a := m.At(x, y).RGBA()
				put(dst[i:i+bpp], r, g, b, a)
				i += bpp
			}
		}
	}
}

// gray returns the luma of c (see luma).
func gray(c color.Color) uint8 { return luma(c.RGBA()) }

// luma returns the luma of a premultiplied 16-bit colour, after
// compositing any transparency over white: a cut-out photo is shown on a
// white page, and its premultiplied colour alone would turn it black. The
// weights and rounding are color.GrayModel's (a test checks they agree),
// written out because calling through the color.Model interface
// allocates for every pixel.
func luma(r, g, b, a uint32) uint8 {
	r, g, b = overWhite(r, g, b, a)
	return uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 24)
}

// overWhite composites a premultiplied 16-bit colour over white: the
// white that shows through (0xffff−a) is added to each component.
func overWhite(r, g, b, a uint32) (r1, g1, b1 uint32) {
	if a != 0xffff {
		r, g, b = r+0xffff-a, g+0xffff-a, b+0xffff-a
	}
	return r, g, b
}

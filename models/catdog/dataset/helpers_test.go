package dataset

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/bmp"
)

// solid returns a w x h image of one colour.
func solid(w, h int, c color.Color) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	return img
}

// noisy returns a w x h image of random colours, different for each seed.
func noisy(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32()), 255
	}
	return img
}

// encode returns img in the named format ("png", "jpeg", "gif", "bmp").
func encode(t testing.TB, format string, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95})
	case "gif":
		err = gif.Encode(&buf, img, nil)
	case "bmp":
		err = bmp.Encode(&buf, img)
	default:
		t.Fatalf("unknown format %q", format)
	}
	if err != nil {
		t.Fatalf("encoding %s: %v", format, err)
	}
	return buf.Bytes()
}

// writeFile writes data to dir/rel, creating folders as needed.
func writeFile(t testing.TB, dir, rel string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// formatOf picks the encoder for a test file by its extension.
func formatOf(rel string) string {
	switch filepath.Ext(rel) {
	case ".png", ".PNG":
		return "png"
	case ".gif":
		return "gif"
	case ".bmp", ".BMP":
		return "bmp"
	}
	return "jpeg"
}

// writeImages writes a small distinct noisy image to dir/rel for each rel,
// in the format its extension names.
func writeImages(t testing.TB, dir string, rels ...string) {
	t.Helper()
	for i, rel := range rels {
		writeFile(t, dir, rel, encode(t, formatOf(rel), noisy(24+i%3, 20, uint64(i))))
	}
}

// bombPNG returns a valid PNG signature and IHDR chunk (with a correct
// CRC) claiming a w x h 8-bit grayscale image, followed by an empty IEND:
// image.DecodeConfig accepts it and reports the huge size.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		body := append([]byte(typ), data...)
		b.Write(body)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(body))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8] = 8 // bit depth; colour type 0 (gray), no interlace
	chunk("IHDR", ihdr)
	chunk("IEND", nil)
	return b.Bytes()
}

// truncatedJPEG returns the first half of a JPEG: its header is intact, so
// DecodeConfig succeeds and the decoder fails midway.
func truncatedJPEG(t testing.TB) []byte {
	data := encode(t, "jpeg", noisy(64, 64, 99))
	return data[:len(data)/2]
}

// zeroSizeGIF returns a GIF header whose logical screen is 0 x 0.
func zeroSizeGIF() []byte {
	return []byte("GIF89a\x00\x00\x00\x00\x00\x00\x00;")
}

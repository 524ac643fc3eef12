package dataset

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"
)

// Quadrant values of the upright test image: each corner differs, so every
// one of the eight orientations puts a different value top left.
const (
	topLeft, topRight, bottomLeft, bottomRight = 20, 90, 160, 230
)

// quadrants returns an upright w x h image whose quarters hold the four
// quadrant values.
func quadrants(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := [2][2]uint8{{topLeft, topRight}, {bottomLeft, bottomRight}}[2*y/h][2*x/w]
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	return img
}

// Turns of a stored image, written out pixel by pixel so that the test
// does not share the code it checks.
func mirrorLeftRight(img *image.Gray) *image.Gray {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.SetGray(b.Dx()-1-x, y, img.GrayAt(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

// turnClockwise turns img a quarter turn clockwise: its left column becomes
// the top row.
func turnClockwise(img *image.Gray) *image.Gray {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.SetGray(b.Dy()-1-y, x, img.GrayAt(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

func turnClockwiseTimes(img *image.Gray, n int) *image.Gray {
	for range n {
		img = turnClockwise(img)
	}
	return img
}

// storedAs returns how a camera stores the upright image with EXIF
// orientation o: the standard says how to turn the stored image for
// display, so the stored image is the upright one turned back.
func storedAs(upright *image.Gray, o int) *image.Gray {
	switch o {
	case 2: // display: mirror
		return mirrorLeftRight(upright)
	case 3: // display: turn 180°
		return turnClockwiseTimes(upright, 2)
	case 4: // display: mirror top to bottom
		return turnClockwiseTimes(mirrorLeftRight(upright), 2)
	case 5: // display: mirror, then turn 90° anticlockwise
		return mirrorLeftRight(turnClockwise(upright))
	case 6: // display: turn 90° clockwise
		return turnClockwiseTimes(upright, 3)
	case 7: // display: mirror, then turn 90° clockwise
		return mirrorLeftRight(turnClockwiseTimes(upright, 3))
	case 8: // display: turn 90° anticlockwise
		return turnClockwise(upright)
	}
	return upright
}

// byteOrder is binary.BigEndian or binary.LittleEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// tiffOrientation returns a TIFF structure whose first IFD holds two
// entries, the Orientation (as a SHORT) and another tag around it.
func tiffOrientation(order byteOrder, o uint16) []byte {
	b := []byte("MM\x00*")
	if order.String() == binary.LittleEndian.String() {
		b = []byte("II*\x00")
	}
	b = order.AppendUint32(b, 8) // the first IFD follows the header
	b = order.AppendUint16(b, 2)
	// ImageWidth, a LONG, before it: the parser must skip other tags.
	b = order.AppendUint16(b, 0x0100)
	b = order.AppendUint16(b, 4)
	b = order.AppendUint32(b, 1)
	b = order.AppendUint32(b, 640)
	b = order.AppendUint16(b, tagOrientation)
	b = order.AppendUint16(b, 3)
	b = order.AppendUint32(b, 1)
	b = order.AppendUint16(b, o)
	b = order.AppendUint16(b, 0)    // the value field's padding
	return order.AppendUint32(b, 0) // no next IFD
}

// withSegment returns the JPEG data with an APPn segment (marker 0xe0+n)
// holding payload inserted after its SOI marker.
func withSegment(t testing.TB, jpegData []byte, n byte, payload []byte) []byte {
	t.Helper()
	if len(payload)+2 > 0xffff {
		t.Fatalf("a %d-byte payload does not fit a JPEG segment", len(payload))
	}
	seg := []byte{0xff, 0xe0 + n}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte(nil), jpegData[:2]...)
	out = append(out, seg...)
	return append(out, jpegData[2:]...)
}

// exifJPEG returns img as a JPEG carrying an EXIF segment with orientation o.
func exifJPEG(t testing.TB, img image.Image, order byteOrder, o uint16) []byte {
	t.Helper()
	return withSegment(t, encode(t, "jpeg", img), 1, append([]byte("Exif\x00\x00"), tiffOrientation(order, o)...))
}

func TestOrientTurnsUpright(t *testing.T) {
	t.Parallel()
	// An odd size, and a sub-image whose bounds do not start at (0, 0).
	upright := quadrants(7, 5)
	for o := 1; o <= 8; o++ {
		stored := storedAs(upright, o)
		b := stored.Bounds()
		padded := image.NewGray(image.Rect(-3, 2, b.Dx()+1, b.Dy()+4))
		r := image.Rect(-1, 3, b.Dx()-1, b.Dy()+3)
		for y := range b.Dy() {
			for x := range b.Dx() {
				padded.SetGray(r.Min.X+x, r.Min.Y+y, stored.GrayAt(x, y))
			}
		}
		got := orient(padded, r, o)
		if o == 1 {
			got = padded.SubImage(r).(*image.Gray)
		}
		// Copied to bounds at (0, 0), by a function that does not turn.
		got = mirrorLeftRight(mirrorLeftRight(got))
		if got.Bounds() != upright.Bounds() || !bytes.Equal(got.Pix, upright.Pix) {
			t.Errorf("orientation %d: got %v %v, want %v %v", o, got.Bounds(), got.Pix, upright.Bounds(), upright.Pix)
		}
	}
}

// TestDecodeAppliesEXIFOrientation stores an upright image as a camera
// would for each orientation and byte order, and expects it back upright.
func TestDecodeAppliesEXIFOrientation(t *testing.T) {
	t.Parallel()
	upright := quadrants(48, 32)
	const side = 16
	// Pixels in the middle of each quarter, away from the JPEG's ringing.
	probes := []struct {
		x, y int
		want uint8
	}{
		{side / 4, side / 4, topLeft}, {3 * side / 4, side / 4, topRight},
		{side / 4, 3 * side / 4, bottomLeft}, {3 * side / 4, 3 * side / 4, bottomRight},
	}
	for _, order := range []byteOrder{binary.BigEndian, binary.LittleEndian} {
		for o := 1; o <= 8; o++ {
			for _, crop := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/orientation=%d/crop=%t", order, o, crop), func(t *testing.T) {
					t.Parallel()
					data := exifJPEG(t, storedAs(upright, o), order, uint16(o))
					if got := jpegOrientation(bufio.NewReader(bytes.NewReader(data))); got != o {
						t.Fatalf("read orientation %d, want %d", got, o)
					}
					pix, err := Decode(bytes.NewReader(data), Options{Side: side, Crop: crop})
					if err != nil {
						t.Fatal(err)
					}
					for _, p := range probes {
						if got := pix[p.y*side+p.x]; absDiff(got, p.want) > 8 {
							t.Errorf("pixel (%d, %d) = %d, want %d ± 8", p.x, p.y, got, p.want)
						}
					}
				})
			}
		}
	}
}

func absDiff(a, b uint8) uint8 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestLoadImageAppliesEXIFOrientation(t *testing.T) {
	t.Parallel()
	// LoadImage (catdog-predict) and LoadFolder (training) read files, not
	// readers; both must turn the photo.
	dir := t.TempDir()
	upright := quadrants(48, 32)
	want, err := Decode(bytes.NewReader(encode(t, "jpeg", upright)), Options{Side: 16})
	if err != nil {
		t.Fatal(err)
	}
	turned := exifJPEG(t, storedAs(upright, 6), binary.LittleEndian, 6)
	path := writeFile(t, dir, "cat/1.jpg", turned)
	writeFile(t, dir, "dog/1.jpg", turned)
	got, err := LoadImage(path, Options{Side: 16})
	if err != nil {
		t.Fatal(err)
	}
	set, _, err := LoadFolder(dir, Options{Side: 16, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for name, pix := range map[string][]uint8{"LoadImage": got, "LoadFolder": set.Image(0)} {
		for i := range want {
			if absDiff(pix[i], want[i]) > 12 {
				t.Errorf("%s: pixel %d = %d, upright decoding gives %d", name, i, pix[i], want[i])
				break
			}
		}
	}
}

// TestEXIFOrientationMalformed checks that a missing or damaged tag reads
// as upright.
func TestEXIFOrientationMalformed(t *testing.T) {
	t.Parallel()
	good := tiffOrientation(binary.BigEndian, 6)
	if got := exifOrientation(good); got != 6 {
		t.Fatalf("the well-formed structure reads as %d, want 6", got)
	}
	patched := func(at int, v ...byte) []byte {
		b := append([]byte(nil), good...)
		copy(b[at:], v)
		return b
	}
	const entry2 = 8 + 2 + 12 // the Orientation entry
	tiffs := []struct {
		name string
		tiff []byte
	}{
		{"empty", nil},
		{"header only", good[:8]},
		{"unknown byte order", patched(0, 'X', 'X')},
		{"mixed byte order", patched(0, 'I', 'I')},
		{"IFD beyond the end", patched(4, 0xff, 0xff, 0xff, 0xf0)},
		{"IFD at the last byte", patched(4, 0, 0, 0, byte(len(good)-1))},
		{"entry count beyond the end", patched(8, 0xff, 0xff)},
		{"truncated in the entry", good[:entry2+10]},
		{"orientation 0", patched(entry2+8, 0, 0)},
		{"orientation 9", patched(entry2+8, 0, 9)},
		{"orientation 0x0106", patched(entry2+8, 1, 6)},
		{"type ASCII", patched(entry2+2, 0, 2)},
		{"count 2", patched(entry2+4, 0, 0, 0, 2)},
		{"no orientation tag", patched(entry2, 0x01, 0x13)},
	}
	for _, tc := range tiffs {
		t.Run(tc.name, func(t *testing.T) {
			if got := exifOrientation(tc.tiff); got != 1 {
				t.Errorf("orientation %d, want 1", got)
			}
		})
	}

	// In a whole JPEG: the decoder ignores the segment, and so must the
	// orientation, leaving the image as stored.
	img := quadrants(48, 32)
	plain := encode(t, "jpeg", img)
	want, err := Decode(bytes.NewReader(plain), Options{Side: 16})
	if err != nil {
		t.Fatal(err)
	}
	exif := func(tiff []byte) []byte { return withSegment(t, plain, 1, append([]byte("Exif\x00\x00"), tiff...)) }
	jpegs := []struct {
		name string
		data []byte
	}{
		{"truncated TIFF", exif(good[:entry2+6])},
		{"orientation 9", exif(patched(entry2+8, 0, 9))},
		{"Exif header alone", exif(nil)},
		{"Exif header cut short", withSegment(t, plain, 1, []byte("Exi"))},
		{"empty APP1", withSegment(t, plain, 1, nil)},
		{"EXIF in APP2", withSegment(t, plain, 2, append([]byte("Exif\x00\x00"), good...))},
		{"EXIF after the image data", append(append([]byte(nil), plain[:len(plain)-2]...),
			withSegment(t, []byte{0xff, 0xd8, 0xff, 0xd9}, 1, append([]byte("Exif\x00\x00"), good...))[2:]...)},
	}
	for _, tc := range jpegs {
		t.Run(tc.name, func(t *testing.T) {
			if got := jpegOrientation(bufio.NewReader(bytes.NewReader(tc.data))); got != 1 {
				t.Errorf("orientation %d, want 1", got)
			}
			got, err := Decode(bytes.NewReader(tc.data), Options{Side: 16})
			if err != nil {
				t.Fatalf("decoding: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Error("the pixels differ from those of the JPEG without the segment")
			}
		})
	}

	// Cut anywhere, the JPEG's markers never make the reader fail or
	// claim an orientation it did not find.
	turned := exifJPEG(t, img, binary.LittleEndian, 8)
	segmentEnd := 2 + 4 + len("Exif\x00\x00") + len(good) // SOI, APP1 and its length, payload
	for n := range segmentEnd {
		if got := jpegOrientation(bufio.NewReader(bytes.NewReader(turned[:n]))); got != 1 {
			t.Errorf("the first %d bytes read as orientation %d, want 1", n, got)
		}
	}
	if got := jpegOrientation(bufio.NewReader(bytes.NewReader(turned[:segmentEnd]))); got != 8 {
		t.Errorf("the first %d bytes, the whole segment, read as orientation %d, want 8", segmentEnd, got)
	}
}

// TestEXIFOrientationFindsExifAmongAPP1 puts an XMP segment, which also
// uses APP1, before the EXIF one.
func TestEXIFOrientationFindsExifAmongAPP1(t *testing.T) {
	t.Parallel()
	data := exifJPEG(t, quadrants(8, 8), binary.BigEndian, 3)
	data = withSegment(t, data, 1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"))
	if got := jpegOrientation(bufio.NewReader(bytes.NewReader(data))); got != 3 {
		t.Errorf("orientation %d, want 3", got)
	}
}

// TestCacheOfUnturnedImagesIsNotReused rewrites a cache as the version
// before EXIF orientation would have left it, and expects it ignored.
func TestCacheOfUnturnedImagesIsNotReused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	upright := quadrants(48, 32)
	turned := exifJPEG(t, storedAs(upright, 8), binary.BigEndian, 8)
	writeFile(t, dir, "cat/1.jpg", turned)
	writeFile(t, dir, "dog/1.jpg", turned)
	opt := Options{Side: 16, CacheDir: t.TempDir()}
	want, _ := load(t, dir, opt, 2)
	path := cacheFiles(t, opt.CacheDir)[0]
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = rewriteCacheVersion(t, data, 1)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, _ := load(t, dir, opt, 2)
	if !bytes.Equal(got.Pixels, want.Pixels) {
		t.Error("the pixels differ from those decoded without a cache")
	}
	if files := cacheFiles(t, opt.CacheDir); len(files) != 1 || filepath.Base(files[0]) != filepath.Base(path) {
		t.Errorf("cache folder holds %v, want the one file rewritten in place", files)
	}
	load(t, dir, opt, 0)
}

// rewriteCacheVersion returns a cache file's bytes with another version
// and a checksum that fits, as that version would have written it.
func rewriteCacheVersion(t testing.TB, data []byte, version uint32) []byte {
	t.Helper()
	if len(data) < len(cacheMagic)+4+sha256.Size {
		t.Fatalf("a %d-byte cache file is too short", len(data))
	}
	data = append([]byte(nil), data...)
	binary.BigEndian.PutUint32(data[len(cacheMagic):], version)
	body := data[:len(data)-sha256.Size]
	sum := sha256.Sum256(body)
	copy(data[len(body):], sum[:])
	return data
}

// FuzzEXIFOrientation feeds arbitrary bytes to the orientation reader,
// as a JPEG and as the TIFF structure of an EXIF segment: it must never
// panic, and always answer an orientation from 1 to 8.
func FuzzEXIFOrientation(f *testing.F) {
	plain := encode(f, "jpeg", quadrants(8, 8))
	for _, order := range []byteOrder{binary.BigEndian, binary.LittleEndian} {
		for _, o := range []uint16{1, 6, 9} {
			f.Add(exifJPEG(f, quadrants(8, 8), order, o))
			f.Add(tiffOrientation(order, o))
		}
	}
	f.Add(plain)
	f.Add(withSegment(f, plain, 1, []byte("Exif\x00\x00MM\x00*\xff\xff\xff\xff")))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xe1, 0x00, 0x01})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := jpegOrientation(bufio.NewReader(bytes.NewReader(data))); o < 1 || o > 8 {
			t.Errorf("jpegOrientation = %d", o)
		}
		if o := exifOrientation(data); o < 1 || o > 8 {
			t.Errorf("exifOrientation = %d", o)
		}
	})
}

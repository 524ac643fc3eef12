package dataset

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"image"
	"io"
)

// EXIF orientation.
//
// A phone stores a photo as its sensor saw it and records in the EXIF
// Orientation tag (TIFF tag 0x0112, in the JPEG's APP1 segment) how to
// turn it for display. The values, as the EXIF 2.3 standard numbers them:
//
//	1 upright                        5 transposed (mirror, then 90° anticlockwise)
//	2 mirrored left to right         6 turn 90° clockwise to display
//	3 turned 180°                    7 transversed (mirror, then 90° clockwise)
//	4 mirrored top to bottom         8 turn 90° anticlockwise to display
//
// Reading the tag never fails: a missing, truncated or malformed segment
// means 1, as it does to the viewers that show such photos as stored.
const (
	orientUpright  = 1
	orientMax      = 8
	tagOrientation = 0x0112
)

// exifHeader starts the APP1 payload that holds EXIF; XMP and others use
// APP1 too, with other prefixes.
var exifHeader = []byte("Exif\x00\x00")

// jpegOrientation reads the JPEG markers of r up to the first scan and
// returns the Orientation of its first EXIF APP1 segment, or orientUpright
// when there is none or it cannot be read. It reads at most the segments
// before the image data (each at most 64 KiB), and never panics.
func jpegOrientation(r *bufio.Reader) int {
	if soi, err := r.Peek(2); err != nil || soi[0] != 0xff || soi[1] != 0xd8 {
		return orientUpright
	}
	r.Discard(2)
	for {
		marker, err := nextMarker(r)
		if err != nil {
			return orientUpright
		}
		switch {
		case marker == 0x01 || marker >= 0xd0 && marker <= 0xd7:
			continue // TEM and RSTn stand alone
		case marker == 0xd9 || marker == 0xda:
			return orientUpright // EOI, or SOS: the image data begins
		}
		var size [2]byte
		if _, err := io.ReadFull(r, size[:]); err != nil {
			return orientUpright
		}
		n := int(binary.BigEndian.Uint16(size[:])) - 2 // the length counts itself
		if n < 0 {
			return orientUpright
		}
		if marker != 0xe1 {
			if d, _ := r.Discard(n); d < n {
				return orientUpright
			}
			continue
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return orientUpright
		}
		if tiff, ok := bytes.CutPrefix(payload, exifHeader); ok {
			return exifOrientation(tiff)
		}
	}
}

// nextMarker skips to the next marker and returns its code: a 0xff byte,
// any 0xff fill bytes, then the code.
func nextMarker(r *bufio.Reader) (byte, error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	if b != 0xff {
		return 0, io.ErrUnexpectedEOF // not a marker where one must be
	}
	for b == 0xff {
		if b, err = r.ReadByte(); err != nil {
			return 0, err
		}
	}
	return b, nil
}

// exifOrientation returns the Orientation tag of the first IFD of a TIFF
// structure (the EXIF payload after its "Exif\0\0" header), in either
// byte order, or orientUpright when it is missing, out of range or the
// structure is malformed. Every offset is checked against len(tiff).
func exifOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return orientUpright
	}
	var order binary.ByteOrder
	switch string(tiff[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return orientUpright
	}
	ifd := uint64(order.Uint32(tiff[4:]))
	if ifd+2 > uint64(len(tiff)) {
		return orientUpright
	}
	count := uint64(order.Uint16(tiff[ifd:]))
	const entrySize = 12 // tag, type, count, value or offset
	// An IFD that claims more entries than fit is damaged: none is trusted.
	if ifd+2+count*entrySize > uint64(len(tiff)) {
		return orientUpright
	}
	for i := range count {
		at := ifd + 2 + i*entrySize
		entry := tiff[at : at+entrySize]
		if order.Uint16(entry) != tagOrientation {
			continue
		}
		var v uint32
		switch typ, n := order.Uint16(entry[2:]), order.Uint32(entry[4:]); {
		case typ == 3 && n == 1: // SHORT, as the standard says
			v = uint32(order.Uint16(entry[8:]))
		case typ == 4 && n == 1: // LONG, which some writers use
			v = order.Uint32(entry[8:])
		default:
			return orientUpright
		}
		if v < orientUpright || v > orientMax {
			return orientUpright
		}
		return int(v)
	}
	return orientUpright
}

// orientSteps says, for each orientation, which pixel of the stored image
// is shown at the top left (corner, counted from the stored image's own
// top left, with w-1 and h-1 written as -1) and which way the stored
// image is walked as the shown one is walked right and down.
var orientSteps = [orientMax + 1]struct {
	cornerX, cornerY int // 0 or -1 (the last column or row)
	right, down      image.Point
}{
	1: {0, 0, image.Pt(1, 0), image.Pt(0, 1)},
	2: {-1, 0, image.Pt(-1, 0), image.Pt(0, 1)},
	3: {-1, -1, image.Pt(-1, 0), image.Pt(0, -1)},
	4: {0, -1, image.Pt(1, 0), image.Pt(0, -1)},
	5: {0, 0, image.Pt(0, 1), image.Pt(1, 0)},
	6: {0, -1, image.Pt(0, -1), image.Pt(1, 0)},
	7: {-1, -1, image.Pt(0, -1), image.Pt(-1, 0)},
	8: {-1, 0, image.Pt(0, 1), image.Pt(-1, 0)},
}

// orient returns the part r of g turned upright as EXIF orientation o says,
// as a new image whose bounds start at (0, 0); for o = 1 it returns g.
// Turning the luma plane gives the pixels that turning the colour image
// would, as grayscale conversion is per pixel, for a quarter of the memory.
func orient(g *image.Gray, r image.Rectangle, o int) *image.Gray {
	if o <= orientUpright || o > orientMax {
		return g
	}
	pix, w, h := orientPixels(g.Pix, g.Stride, 1, g.PixOffset, r, o)
	return &image.Gray{Pix: pix, Stride: w, Rect: image.Rect(0, 0, w, h)}
}

// orientRGBA is orient of a colour image.
func orientRGBA(m *image.RGBA, r image.Rectangle, o int) *image.RGBA {
	if o <= orientUpright || o > orientMax {
		return m
	}
	pix, w, h := orientPixels(m.Pix, m.Stride, 4, m.PixOffset, r, o)
	return &image.RGBA{Pix: pix, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
}

// orientPixels returns the part r of an image of bpp bytes a pixel, rows
// stride bytes apart, whose pixel (x, y) starts at pix[offset(x, y)],
// turned upright as EXIF orientation o (2 to 8) says, with its width and
// height; its rows follow each other without a gap.
func orientPixels(pix []uint8, stride, bpp int, offset func(x, y int) int, r image.Rectangle, o int) (out []uint8, outW, outH int) {
	w, h := r.Dx(), r.Dy()
	outW, outH = w, h
	if o >= 5 { // the quarter turns swap width and height
		outW, outH = h, w
	}
	out = make([]uint8, outW*outH*bpp)
	s := orientSteps[o]
	corner := r.Min
	if s.cornerX < 0 {
		corner.X = r.Max.X - 1
	}
	if s.cornerY < 0 {
		corner.Y = r.Max.Y - 1
	}
	// Offsets into pix: where each row starts, and the steps along it
	// and from one row to the next.
	rowStart := offset(corner.X, corner.Y)
	right := bpp*s.right.X + s.right.Y*stride
	down := bpp*s.down.X + s.down.Y*stride
	rowLen := outW * bpp
	for y := range outH {
		row := out[y*rowLen : (y+1)*rowLen]
		at := rowStart
		if bpp == 1 {
			for x := range row {
				row[x] = pix[at]
				at += right
			}
		} else {
			for x := 0; x < len(row); x += bpp {
				copy(row[x:x+bpp], pix[at:at+bpp])
				at += right
			}
		}
		rowStart += down
	}
	return out, outW, outH
}

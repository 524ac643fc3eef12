package dataset

import (
	"image"

	"golang.org/x/image/draw"
)

// Channel counts of images (Options.Channels, Set.Channels).
const (
	Grayscale = 1 // luma (ITU-R BT.601), one plane
	RGB       = 3 // red, green and blue planes, in that order
)

// toRGBA returns an opaque *image.RGBA holding the pixels of img in r, at
// the same coordinates, with any transparency composited over white, as
// gray does: a cut-out photo is shown on a white page. Opaque pixels keep
// their colour exactly. JPEG's YCbCr and CMYK images and grayscale ones,
// always opaque, go through the draw package's own conversions.
func toRGBA(img image.Image, r image.Rectangle) *image.RGBA {
	out := image.NewRGBA(r)
	switch img.(type) {
	case *image.YCbCr, *image.CMYK, *image.Gray:
		draw.Draw(out, r, img, r.Min, draw.Src)
		return out
	}
	eachPixel(img, r, out.Pix, 4, func(p []uint8, r, g, b, a uint32) {
		r, g, b = overWhite(r, g, b, a)
		p[0], p[1], p[2], p[3] = uint8(r>>8), uint8(g>>8), uint8(b>>8), 0xff
	})
	return out
}

// toPlanes writes the red, green and blue of the RGBA pixels pix into
// three planes, one after the other, in dst.
func toPlanes(dst, pix []uint8) {
	n := len(pix) / 4
	red, green, blue := dst[:n], dst[n:2*n], dst[2*n:3*n]
	for i := range n {
		p := pix[4*i : 4*i+3]
		red[i], green[i], blue[i] = p[0], p[1], p[2]
	}
}

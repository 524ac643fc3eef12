// Package dataset holds labelled grayscale or colour images for the
// cat/dog models:
// the in-memory Set, readers for photo folders, and the helpers that turn
// images into float32 batches.
package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Label values. The model's single sigmoid output is read as P(cat), so a cat
// is the positive class.
const (
	Dog uint8 = 0
	Cat uint8 = 1
)

// ClassNames maps a label to its name.
var ClassNames = [2]string{"dog", "cat"}

// Set is a list of square images, grayscale or colour, stored as uint8
// values back to back, with one label per image. An image is Channels
// planes (one of luma, or red, green and blue ones, as Options.Channels
// says), each Side×Side values in row-major order.
type Set struct {
	Side     int      // width and height of every image, in pixels
	Channels int      // Grayscale (0 means it) or RGB
	Pixels   []uint8  // Len()*Size() values in [0, 255]
	Labels   []uint8  // Cat or Dog per image
	Paths    []string // where each image came from (a file, or "synthetic:N")
}

// Len returns the number of images.
func (s *Set) Len() int { return len(s.Labels) }

// Size returns the number of values in one image: Channels×Side×Side.
func (s *Set) Size() int { return s.ChannelCount() * s.Side * s.Side }

// ChannelCount returns Channels, or Grayscale when it is 0.
func (s *Set) ChannelCount() int { return max(s.Channels, Grayscale) }

// AsRGB returns the set with each grayscale image's plane copied into
// red, green and blue planes, the colour image of the same grey; a set
// that is RGB already is returned as it is.
func (s *Set) AsRGB() *Set {
	if s.ChannelCount() == RGB {
		return s
	}
	out := &Set{Side: s.Side, Channels: RGB, Labels: slices.Clone(s.Labels), Paths: slices.Clone(s.Paths),
		Pixels: make([]uint8, 0, RGB*len(s.Pixels))}
	for i := range s.Len() {
		img := s.Image(i)
		out.Pixels = append(append(append(out.Pixels, img...), img...), img...)
	}
	return out
}

// Image returns the pixels of image i (not a copy).
func (s *Set) Image(i int) []uint8 {
	n := s.Size()
	return s.Pixels[i*n : (i+1)*n]
}

// Counts returns how many images of each class the set holds.
func (s *Set) Counts() (cats, dogs int) {
	for _, l := range s.Labels {
		if l == Cat {
			cats++
		} else {
			dogs++
		}
	}
	return cats, dogs
}

// Subset returns a new Set holding copies of the images at idx, in that order.
func (s *Set) Subset(idx []int) *Set {
	n := s.Size()
	out := &Set{
		Side:     s.Side,
		Channels: s.Channels,
		Pixels:   make([]uint8, 0, len(idx)*n),
		Labels:   make([]uint8, 0, len(idx)),
		Paths:    make([]string, 0, len(idx)),
	}
	for _, i := range idx {
		out.Pixels = append(out.Pixels, s.Image(i)...)
		out.Labels = append(out.Labels, s.Labels[i])
		out.Paths = append(out.Paths, s.Paths[i])
	}
	return out
}

// Append adds the images of o to s. Both must have the same side and
// channels.
func (s *Set) Append(o *Set) error {
	if s.Side != o.Side || s.ChannelCount() != o.ChannelCount() {
		return fmt.Errorf("dataset: cannot append %dx%dx%d images to a set of %dx%dx%d",
			o.ChannelCount(), o.Side, o.Side, s.ChannelCount(), s.Side, s.Side)
	}
	s.Pixels = append(s.Pixels, o.Pixels...)
	s.Labels = append(s.Labels, o.Labels...)
	s.Paths = append(s.Paths, o.Paths...)
	return nil
}

// Split divides the set into two stratified parts: a fraction frac of each
// class (rounded) goes to the second part, chosen by a generator seeded with
// seed, so the same seed always gives the same split.
func (s *Set) Split(frac float64, seed uint64) (rest, part *Set, err error) {
	if frac < 0 || frac >= 1 {
		return nil, nil, fmt.Errorf("dataset: split fraction %v is not in [0, 1)", frac)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	var restIdx, partIdx []int
	for _, label := range []uint8{Dog, Cat} {
		var idx []int
		for i, l := range s.Labels {
			if l == label {
				idx = append(idx, i)
			}
		}
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		k := int(float64(len(idx))*frac + 0.5)
		partIdx = append(partIdx, idx[:k]...)
		restIdx = append(restIdx, idx[k:]...)
	}
	return s.Subset(restIdx), s.Subset(partIdx), nil
}

// Fill writes the images at idx into x as network inputs encoded by enc
// (len(idx)*Size() of them, one image per row) and their labels into y
// (len(idx) values, 1 for cat). y may be nil.
func (s *Set) Fill(enc Encoding, x, y []float32, idx []int) {
	n := s.Size()
	for r, i := range idx {
		enc.Encode(x[r*n:(r+1)*n], s.Image(i))
		if y != nil {
			y[r] = float32(s.Labels[i])
		}
	}
}

// Encoding is how an image's 0-255 pixels become a network's inputs.
type Encoding string

const (
	// Unit scales them to [0, 1]: p/255.
	Unit Encoding = "unit"
	// Centred maps them to [−1, 1], mid-grey to 0: p/127.5 − 1. Inputs
	// that are all positive make every weight of a unit in the first layer
	// move the same way in a step (their gradients are the unit's error
	// times the inputs), so a large layer's first steps overshoot; centred
	// inputs train faster and steadier.
	Centred Encoding = "centred"
	// Standardised maps each image's pixels to mean 0 and standard
	// deviation 1, over the image: (p − mean)/(std + 1). A photo's
	// brightness and contrast say nothing of what it shows; a perceptron,
	// which sees single pixels, learns from the pattern alone.
	Standardised Encoding = "standardised"
)

// Check returns an error for an encoding that is not one of the above.
func (e Encoding) Check() error {
	if e != Unit && e != Centred && e != Standardised {
		return fmt.Errorf("dataset: %q is not a pixel encoding (want %s, %s or %s)", string(e), Unit, Centred, Standardised)
	}
	return nil
}

// Encode writes img's pixels into dst (at least as long) as e says; an
// encoding that fails Check encodes as Unit.
func (e Encoding) Encode(dst []float32, img []uint8) {
	dst = dst[:len(img)]
	if e == Standardised {
		standardise(dst, img)
		return
	}
	if e == Centred {
		for j, p := range img {
			dst[j] = float32(p)*(2.0/255) - 1
		}
		return
	}
	for j, p := range img {
		dst[j] = float32(p) * (1.0 / 255)
	}
}

// standardise writes (p − mean)/(std + 1) of img's pixels into dst: the
// 1 (a pixel level) keeps a flat image's inputs near 0.
func standardise(dst []float32, img []uint8) {
	if len(img) == 0 {
		return
	}
	var sum, sq uint64
	for _, p := range img {
		sum += uint64(p)
		sq += uint64(p) * uint64(p)
	}
	n := float64(len(img))
	mean := float64(sum) / n
	std := math.Sqrt(max(float64(sq)/n-mean*mean, 0))
	scale := float32(1 / (std + 1))
	m := float32(mean)
	for j, p := range img {
		dst[j] = (float32(p) - m) * scale
	}
}

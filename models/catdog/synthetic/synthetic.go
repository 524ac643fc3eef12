package synthetic

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// Generate returns n images (half cats, half dogs, interleaved in a seeded
// random order) of side x side pixels, drawn deterministically from seed: the
// same (n, seed, side) always yields identical bytes, on every machine and
// regardless of GOMAXPROCS. When n is odd the extra image is a cat. Image i
// has the path "synthetic:i". It panics if n < 0 or side < 1.
func Generate(n int, seed uint64, side int) *dataset.Set {
	if n < 0 || side < 1 {
		panic(fmt.Sprintf("synthetic: Generate(%d, %d, %d)", n, seed, side))
	}
	size := side * side
	s := &dataset.Set{
		Side:   side,
		Pixels: make([]uint8, n*size),
		Labels: make([]uint8, n),
		Paths:  make([]string, n),
	}
	for i := range s.Labels {
		s.Labels[i] = dataset.Dog
		if i < (n+1)/2 {
			s.Labels[i] = dataset.Cat
		}
		s.Paths[i] = fmt.Sprintf("synthetic:%d", i)
	}
	order := orderRand(seed)
	order.Shuffle(n, func(i, j int) { s.Labels[i], s.Labels[j] = s.Labels[j], s.Labels[i] })

	// Images are independent, so workers take them in any order; each
	// image's bytes depend only on (seed, i, its label).
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			scratch := make([]float64, size)
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				draw(s.Image(i), scratch, side, s.Labels[i], imageRand(seed, i))
			}
		})
	}
	wg.Wait()
	return s
}

// imageRand returns the generator for image i of the set drawn from seed. The
// index goes through SplitMix64 so that neighbouring images start from
// unrelated PCG states.
func imageRand(seed uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, splitMix64(uint64(i))))
}

// orderRand returns the generator that shuffles the labels of the set drawn
// from seed; its state is unrelated to any image's.
func orderRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(splitMix64(seed), 0x6f72646572)) // "order"
}

// splitMix64 is the SplitMix64 output function, a bijection that scatters
// nearby integers.
func splitMix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// WritePNG writes image i of s to w as a grayscale PNG, so that synthetic
// images can be handed to commands that read photo files.
func WritePNG(w io.Writer, s *dataset.Set, i int) error {
	if i < 0 || i >= s.Len() {
		return fmt.Errorf("synthetic: image %d out of range [0, %d)", i, s.Len())
	}
	img := image.NewGray(image.Rect(0, 0, s.Side, s.Side))
	copy(img.Pix, s.Image(i))
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("synthetic: image %d: %w", i, err)
	}
	return nil
}

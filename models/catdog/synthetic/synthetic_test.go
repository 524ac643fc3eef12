package synthetic

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"image"
	"image/png"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

func TestGenerateDeterministic(t *testing.T) {
	a := Generate(64, 7, 100)
	b := Generate(64, 7, 100)
	if !bytes.Equal(a.Pixels, b.Pixels) || !bytes.Equal(a.Labels, b.Labels) {
		t.Fatal("Generate(64, 7, 100) differs between two calls")
	}
	prev := runtime.GOMAXPROCS(1)
	serial := Generate(64, 7, 100)
	runtime.GOMAXPROCS(prev)
	if !bytes.Equal(a.Pixels, serial.Pixels) || !bytes.Equal(a.Labels, serial.Labels) {
		t.Fatal("Generate(64, 7, 100) depends on GOMAXPROCS")
	}
	if c := Generate(64, 8, 100); bytes.Equal(a.Pixels, c.Pixels) {
		t.Fatal("seeds 7 and 8 give the same pixels")
	}
	if a.Side != 100 || a.Len() != 64 || len(a.Pixels) != 64*100*100 {
		t.Fatalf("got %d images of side %d and %d pixels, want 64 of side 100 and %d", a.Len(), a.Side, len(a.Pixels), 64*100*100)
	}
	for i, p := range a.Paths {
		if want := fmt.Sprintf("synthetic:%d", i); p != want {
			t.Fatalf("Paths[%d] = %q, want %q", i, p, want)
		}
	}
	for i := 1; i < a.Len(); i++ {
		if bytes.Equal(a.Image(i-1), a.Image(i)) {
			t.Fatalf("images %d and %d are identical", i-1, i)
		}
	}
}

func TestGenerateBalanced(t *testing.T) {
	tests := []struct {
		n, side        int
		wantCats, dogs int
	}{
		{n: 0, side: 100},
		{n: 1, side: 100, wantCats: 1},
		{n: 64, side: 100, wantCats: 32, dogs: 32},
		{n: 101, side: 32, wantCats: 51, dogs: 50},
		{n: 10, side: 1, wantCats: 5, dogs: 5},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("n=%d/side=%d", tt.n, tt.side), func(t *testing.T) {
			s := Generate(tt.n, 3, tt.side)
			if cats, dogs := s.Counts(); cats != tt.wantCats || dogs != tt.dogs {
				t.Errorf("got %d cats and %d dogs, want %d and %d", cats, dogs, tt.wantCats, tt.dogs)
			}
			if len(s.Pixels) != tt.n*tt.side*tt.side || len(s.Paths) != tt.n {
				t.Errorf("got %d pixels and %d paths for %d images", len(s.Pixels), len(s.Paths), tt.n)
			}
		})
	}
	// The order is shuffled, not all cats then all dogs.
	s := Generate(64, 7, 8)
	runs := 1
	for i := 1; i < s.Len(); i++ {
		if s.Labels[i] != s.Labels[i-1] {
			runs++
		}
	}
	if runs < 16 {
		t.Errorf("labels change only %d times in 64 images: %v", runs-1, s.Labels)
	}
}

func TestDraw(t *testing.T) {
	const side = 100
	for _, label := range []uint8{dataset.Cat, dataset.Dog} {
		a := make([]uint8, side*side)
		b := make([]uint8, side*side)
		Draw(a, side, label, rand.New(rand.NewPCG(1, 2)))
		Draw(b, side, label, rand.New(rand.NewPCG(1, 2)))
		if !bytes.Equal(a, b) {
			t.Errorf("%s: the same generator state drew different images", dataset.ClassNames[label])
		}
	}
	// Generate's images are Draw with imageRand.
	s := Generate(4, 5, side)
	got := make([]uint8, side*side)
	for i := range s.Len() {
		Draw(got, side, s.Labels[i], imageRand(5, i))
		if !bytes.Equal(got, s.Image(i)) {
			t.Errorf("image %d: Draw with imageRand does not reproduce Generate", i)
		}
	}
}

func TestDrawPanics(t *testing.T) {
	tests := []struct {
		name  string
		dst   []uint8
		side  int
		label uint8
	}{
		{name: "short", dst: make([]uint8, 99), side: 10, label: dataset.Cat},
		{name: "side=0", dst: make([]uint8, 1), side: 0, label: dataset.Cat},
		{name: "label=2", dst: make([]uint8, 100), side: 10, label: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Draw did not panic")
				}
			}()
			Draw(tt.dst, tt.side, tt.label, rand.New(rand.NewPCG(1, 1)))
		})
	}
}

func TestWritePNG(t *testing.T) {
	s := Generate(3, 2, 40)
	for i := range s.Len() {
		var buf bytes.Buffer
		if err := WritePNG(&buf, s, i); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
		gray, ok := img.(*image.Gray)
		if !ok {
			t.Fatalf("image %d decodes as %T, want *image.Gray", i, img)
		}
		if gray.Bounds() != image.Rect(0, 0, 40, 40) || !bytes.Equal(gray.Pix, s.Image(i)) {
			t.Errorf("image %d does not round-trip through PNG", i)
		}
	}
	for _, i := range []int{-1, 3} {
		if err := WritePNG(&bytes.Buffer{}, s, i); err == nil {
			t.Errorf("WritePNG(image %d of 3) returned no error", i)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{1000, 8000} {
		b.Run(fmt.Sprintf("n=%d/side=100", n), func(b *testing.B) {
			for b.Loop() {
				Generate(n, 1, 100)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// TestGeneratePortable pins the bytes of a small set, so that a change to
// the drawing, or arithmetic that differs between machines (see
// TestNoFusedMultiplyAdd), shows up. A deliberate change to the drawing
// changes the data set every model trains on: update the hash and say so.
func TestGeneratePortable(t *testing.T) {
	const want = 0x2f8bb13bb52c92ee
	s := Generate(32, 11, 64)
	h := fnv.New64a()
	h.Write(s.Pixels)
	h.Write(s.Labels)
	if got := h.Sum64(); got != want {
		t.Errorf("Generate(32, 11, 64) hashes to %#x, want %#x", got, want)
	}
}

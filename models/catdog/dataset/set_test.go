package dataset

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

// syntheticSet returns a set of side-2 images, cats first, whose pixels
// and path record their index.
func syntheticSet(cats, dogs int) *Set {
	s := &Set{Side: 2}
	for i := range cats + dogs {
		label := Dog
		if i < cats {
			label = Cat
		}
		s.Pixels = append(s.Pixels, uint8(i), uint8(i>>8), label, 0)
		s.Labels = append(s.Labels, label)
		s.Paths = append(s.Paths, fmt.Sprintf("synthetic:%d", i))
	}
	return s
}

func TestSplitIsStratifiedAndDeterministic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name               string
		cats, dogs         int
		frac               float64
		partCats, partDogs int
	}{
		{"3 to 1", 300, 100, 0.2, 60, 20},
		{"balanced", 50, 50, 0.1, 5, 5},
		{"rounding", 7, 3, 0.25, 2, 1}, // 1.75 -> 2, 0.75 -> 1
		{"nothing held out", 10, 10, 0, 0, 0},
		{"one class", 9, 0, 0.5, 5, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := syntheticSet(tc.cats, tc.dogs)
			rest, part, err := s.Split(tc.frac, 42)
			if err != nil {
				t.Fatal(err)
			}
			if c, d := part.Counts(); c != tc.partCats || d != tc.partDogs {
				t.Errorf("part has %d cats and %d dogs, want %d and %d", c, d, tc.partCats, tc.partDogs)
			}
			if c, d := rest.Counts(); c != tc.cats-tc.partCats || d != tc.dogs-tc.partDogs {
				t.Errorf("rest has %d cats and %d dogs, want %d and %d", c, d, tc.cats-tc.partCats, tc.dogs-tc.partDogs)
			}

			// Together the parts hold every image once, each with its
			// own pixels and label.
			all := append(slices.Clone(rest.Paths), part.Paths...)
			slices.Sort(all)
			want := slices.Clone(s.Paths)
			slices.Sort(want)
			if !slices.Equal(all, want) {
				t.Error("the two parts are not a partition of the set")
			}
			for _, p := range []*Set{rest, part} {
				for i, path := range p.Paths {
					j := slices.Index(s.Paths, path)
					if !slices.Equal(p.Image(i), s.Image(j)) || p.Labels[i] != s.Labels[j] {
						t.Fatalf("%s lost its pixels or label", path)
					}
				}
			}

			rest2, part2, _ := s.Split(tc.frac, 42)
			if !reflect.DeepEqual(rest2, rest) || !reflect.DeepEqual(part2, part) {
				t.Error("the same seed gave another split")
			}
		})
	}
}

func TestSplitSeedsDiffer(t *testing.T) {
	t.Parallel()
	s := syntheticSet(100, 100)
	_, a, _ := s.Split(0.3, 1)
	_, b, _ := s.Split(0.3, 2)
	if slices.Equal(a.Paths, b.Paths) {
		t.Error("seeds 1 and 2 gave the same split")
	}
}

func TestSplitRejectsBadFraction(t *testing.T) {
	t.Parallel()
	s := syntheticSet(4, 4)
	for _, frac := range []float64{-0.1, 1, 1.5} {
		if _, _, err := s.Split(frac, 1); err == nil {
			t.Errorf("Split(%v): no error", frac)
		}
	}
}

// Each encoding maps black, mid-grey and white where it says, and Fill
// writes what Encode does.
func TestEncodings(t *testing.T) {
	img := []uint8{0, 51, 255}
	for _, tt := range []struct {
		enc  Encoding
		want []float32
	}{
		{Unit, []float32{0, 0.2, 1}},
		{Centred, []float32{-1, -0.6, 1}},
		{Standardised, []float32{-0.9174923, -0.4587462, 1.3762385}}, // mean 102, standard deviation 110.17
		{"", []float32{0, 0.2, 1}},                                   // the zero value encodes as Unit
	} {
		t.Run(string(tt.enc), func(t *testing.T) {
			got := make([]float32, len(img))
			tt.enc.Encode(got, img)
			for i := range got {
				if !scalar.EqualWithinAbs(float64(got[i]), float64(tt.want[i]), 1e-6) {
					t.Errorf("pixel %d: %v, want %v", img[i], got[i], tt.want[i])
				}
			}
		})
	}
	// Standardised ignores brightness, and keeps a flat image at 0.
	base, shifted, flat := make([]float32, 3), make([]float32, 3), []float32{1, 1, 1}
	Standardised.Encode(base, []uint8{0, 51, 235})
	Standardised.Encode(shifted, []uint8{20, 71, 255})
	Standardised.Encode(flat, []uint8{90, 90, 90})
	if !slices.Equal(base, shifted) {
		t.Errorf("an image 20 levels brighter standardises to %v, want %v", shifted, base)
	}
	if want := []float32{0, 0, 0}; !slices.Equal(flat, want) {
		t.Errorf("a flat image standardises to %v, want %v", flat, want)
	}
	if err := Standardised.Check(); err != nil {
		t.Error(err)
	}
	if err := Encoding("sepia").Check(); err == nil {
		t.Error(`Check accepted "sepia"`)
	}
	set := &Set{Side: 1, Pixels: []uint8{0, 255}, Labels: []uint8{Dog, Cat}}
	x, y := make([]float32, 2), make([]float32, 2)
	set.Fill(Centred, x, y, []int{1, 0})
	if x[0] != 1 || x[1] != -1 || y[0] != 1 || y[1] != 0 {
		t.Errorf("Fill wrote x %v, y %v", x, y)
	}
}

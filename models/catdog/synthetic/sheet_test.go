package synthetic

import (
	"image"
	"image/png"
	"os"
	"testing"

	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// TestContactSheet writes the images of Generate(16, 1, 100) as a 4x4
// contact sheet to the file named by $SYNTHETIC_SHEET, for a person to look
// at. It is skipped when the variable is unset.
func TestContactSheet(t *testing.T) {
	path := os.Getenv("SYNTHETIC_SHEET")
	if path == "" {
		t.Skip("set SYNTHETIC_SHEET=/tmp/synthetic-sheet.png to write a contact sheet")
	}
	const cols, rows, gap = 4, 4, 4
	s := Generate(cols*rows, 1, 100)
	sheet := image.NewGray(image.Rect(0, 0, cols*(s.Side+gap)+gap, rows*(s.Side+gap)+gap))
	for i := range s.Len() {
		x0, y0 := gap+(i%cols)*(s.Side+gap), gap+(i/cols)*(s.Side+gap)
		for y := range s.Side {
			copy(sheet.Pix[(y0+y)*sheet.Stride+x0:], s.Image(i)[y*s.Side:(y+1)*s.Side])
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, sheet); err != nil {
		t.Fatal(err)
	}
	for r := range rows {
		var names [cols]string
		for c := range cols {
			names[c] = dataset.ClassNames[s.Labels[r*cols+c]]
		}
		t.Logf("row %d: %v", r, names)
	}
}

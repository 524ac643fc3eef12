package gradcheck

import (
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/ops"
)

// TestCatchesWrongGradient makes sure the checker can fail: the
// straight-through step deliberately reports a gradient that is not the
// true derivative (which is 0), and the checker must see the difference.
func TestCatchesWrongGradient(t *testing.T) {
	r, err := Run(Case{
		Inputs: []Input{{Name: "x", Shape: []int{4}, Data: []float64{-0.5, 0.25, 0.5, 0.75}}},
		Build:  func(in []*G.Node) (*G.Node, error) { return ops.Step(in[0], true) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.MaxRelErr < 0.5 {
		t.Fatalf("max relative error %v: the checker did not notice a wrong gradient", r.MaxRelErr)
	}
}

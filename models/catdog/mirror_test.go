package catdog_test

import (
	"math"
	"slices"
	"testing"

	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
)

// TestMirrorAverages checks that a network with Config.Mirror answers,
// for each image, the mean of what the same weights answer for the image
// and for its mirror image without it, in Predict and Probabilities
// alike, and that the answers differ from the plain ones (the untrained
// CNN is not mirror-symmetric, so the test can fail).
func TestMirrorAverages(t *testing.T) {
	t.Parallel()
	cfg, err := catdog.ConfigFor(catdog.ArchCNN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Side, cfg.Seed = 24, 3
	set := synthetic.Generate(5, 4, cfg.Side) // 5 images: a partial batch of 4
	images := make([][]uint8, set.Len())
	mirrored := make([][]uint8, set.Len())
	for i := range images {
		images[i] = set.Image(i)
		mirrored[i] = mirror(images[i], cfg.Side)
	}
	plain := newNet(t, cfg, 4)
	straight, err := plain.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	flipped, err := plain.Predict(mirrored)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Mirror = true
	both := newNet(t, cfg, 4)
	got, err := both.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := both.Probabilities(set)
	if err != nil {
		t.Fatal(err)
	}
	differ := false
	for i := range images {
		want := (straight[i] + flipped[i]) / 2
		if math.Abs(float64(got[i]-want)) > 1e-6 || math.Abs(float64(probs[i]-want)) > 1e-6 {
			t.Errorf("image %d: Predict %v, Probabilities %v, want the mean of %v and %v", i, got[i], probs[i], straight[i], flipped[i])
		}
		differ = differ || math.Abs(float64(straight[i]-flipped[i])) > 1e-6
	}
	if !differ {
		t.Error("the network answers the same for every image and its mirror image: the test checks nothing")
	}
}

// mirror returns the side×side image img mirrored left to right.
func mirror(img []uint8, side int) []uint8 {
	out := slices.Clone(img)
	for y := 0; y < side; y++ {
		slices.Reverse(out[y*side : (y+1)*side])
	}
	return out
}

// TestMirrorFollowsAugmentation checks that a checkpoint's model is scored
// with mirror images exactly when it was trained on them.
func TestMirrorFollowsAugmentation(t *testing.T) {
	t.Parallel()
	for _, a := range []catdog.Augmentation{{}, catdog.DefaultAugmentation(), {Shift: 0.1}, {Flip: true}} {
		if got := (catdog.Meta{Augment: a}).Config().Mirror; got != a.Flip {
			t.Errorf("augmentation %v: Config().Mirror = %t, want %t", a, got, a.Flip)
		}
	}
}

package catdog_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// TestColourCheckpointRoundTrip trains each architecture on colour
// images for an epoch, saves it, and rebuilds it from the checkpoint's
// metadata alone (roundTrip): the metadata records 3 channels, the network
// built from it takes 3×Side×Side values an image and predicts as the
// saved one did, and a grayscale network refuses the checkpoint. It is
// format 4, so that builds before colour refuse it as newer.
func TestColourCheckpointRoundTrip(t *testing.T) {
	t.Parallel()
	for _, arch := range catdog.Archs() {
		t.Run(arch, func(t *testing.T) {
			t.Parallel()
			cfg, err := catdog.ConfigFor(arch)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Side, cfg.Channels, cfg.Seed = 32, dataset.RGB, 3
			if arch == catdog.ArchMLP6 {
				cfg.Hidden = []int{8}
			}
			meta, ts := roundTrip(t, cfg, synthetic.Generate(32, 3, cfg.Side).AsRGB())
			if meta.Channels != dataset.RGB || meta.Config().Channels != dataset.RGB || meta.Format != catdog.FormatVersion {
				t.Fatalf("the checkpoint records %d channels (config %d), format %d; want 3, and format %d, which builds before colour refuse as newer",
					meta.Channels, meta.Config().Channels, meta.Format, catdog.FormatVersion)
			}
			if n := inputs(newNet(t, meta.Config(), 1).Model.Input.Shape()); n != 3*32*32 {
				t.Fatalf("the rebuilt network takes %d values an image, want 3x32x32", n)
			}
			gray := meta.Config()
			gray.Channels = 0
			if err := newNet(t, gray, 5).Load(meta, ts, false); !errors.Is(err, catdog.ErrPixelsMismatch) || !strings.Contains(err.Error(), "3 channels") {
				t.Errorf("a grayscale network loaded the colour checkpoint: %v, want ErrPixelsMismatch", err)
			}
		})
	}
}

// inputs returns how many values one sample of an input shape holds.
func inputs(shape []int) int {
	n := 1
	for _, d := range shape[1:] {
		n *= d
	}
	return n
}

// newNet builds cfg's network on the CPU with Adam, closed with the test.
func newNet(t *testing.T, cfg catdog.Config, batch int) *catdog.Network {
	t.Helper()
	net, err := catdog.NewNetwork(cfg, batch, cpu.New(), optim.NewAdam(1e-3))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { net.Close() })
	return net
}

// TestGrayscaleCheckpointHasNoChannels checks that a grayscale network's
// checkpoint leaves the channels out, as every checkpoint did before
// colour (so builds that predate it read it as before), and that such a
// checkpoint rebuilds a network of one channel.
func TestGrayscaleCheckpointHasNoChannels(t *testing.T) {
	t.Parallel()
	path, raw, _ := saveSmallMLP(t, t.TempDir())
	if _, ok := raw["channels"]; ok || raw["format"] != 3.0 {
		t.Fatalf("a grayscale checkpoint records channels %v, format %v; want none, and format 3, which builds before colour read", raw["channels"], raw["format"])
	}
	meta, _, err := catdog.ReadMeta(path)
	if err != nil {
		t.Fatal(err)
	}
	net := newNet(t, meta.Config(), 2)
	if n := inputs(net.Model.Input.Shape()); meta.Channels != 0 || n != meta.Side*meta.Side {
		t.Errorf("channels %d, %d inputs an image; want 0 and %d", meta.Channels, n, meta.Side*meta.Side)
	}
	if _, err := net.Predict([][]uint8{make([]uint8, 3*meta.Side*meta.Side)}); err == nil || !strings.Contains(err.Error(), "1 channels") {
		t.Errorf("a colour image given to a grayscale network: %v, want an error", err)
	}
}

// TestRunRefusesImagesOfOtherChannels gives a grayscale model colour
// images and a colour model grayscale ones: the run is refused before it
// starts, saying which.
func TestRunRefusesImagesOfOtherChannels(t *testing.T) {
	t.Parallel()
	gray := smallRun(t.TempDir(), 1)
	gray.Train = gray.Train.AsRGB()
	colour := smallRun(t.TempDir(), 1)
	colour.Config.Channels = dataset.RGB
	for name, opt := range map[string]catdog.RunOptions{"grayscale model": gray, "colour model": colour} {
		_, err := catdog.Run(context.Background(), opt, nil)
		if err == nil || !strings.Contains(err.Error(), "images are 100x100 with") {
			t.Errorf("%s: %v, want the images refused", name, err)
		}
		if _, statErr := checkpoint.Find(opt.Dir); statErr == nil {
			t.Errorf("%s: a checkpoint was written", name)
		}
	}
}

// TestNetworkRefusesOtherChannels checks that a network of neither 1 nor 3
// channels is refused, naming them.
func TestNetworkRefusesOtherChannels(t *testing.T) {
	t.Parallel()
	for _, n := range []int{-1, 2, 4} {
		cfg := catdog.DefaultConfig()
		cfg.Channels = n
		if _, err := catdog.NewNetwork(cfg, 2, cpu.New(), optim.NewSGD(0.1)); err == nil || !strings.Contains(err.Error(), "channels") {
			t.Errorf("Channels %d: %v, want refused", n, err)
		}
	}
}

package catdog_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"

	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

func TestUnknownArch(t *testing.T) {
	t.Parallel()
	cfg := catdog.DefaultConfig()
	cfg.Arch = "vgg16"
	_, err := catdog.NewNetwork(cfg, 2, cpu.New(), optim.NewSGD(0.1))
	if !errors.Is(err, catdog.ErrUnknownArch) || !strings.Contains(err.Error(), `"vgg16"`) || !strings.Contains(err.Error(), catdog.ArchMLP6) {
		t.Errorf("NewNetwork with arch vgg16: %v", err)
	}
}

// TestCheckpointArch saves a small network and reads its architecture
// back; a checkpoint without the field (as written before it existed)
// reads as mlp6, and one of an unknown architecture is refused.
func TestCheckpointArch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path, raw, ts := saveSmallMLP(t, dir)
	meta, _, err := catdog.ReadMeta(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Arch != catdog.ArchMLP6 || meta.Config().Arch != catdog.ArchMLP6 {
		t.Errorf("saved arch %q, config arch %q; want %q", meta.Arch, meta.Config().Arch, catdog.ArchMLP6)
	}

	// Rewrite the metadata, with the arch left out or changed.
	tests := []struct {
		name    string
		arch    any // nil: no field
		wantErr bool
	}{
		{"no arch field", nil, false},
		{"unknown arch", "transformer", true},
	}
	for _, tt := range tests {
		m := maps.Clone(raw)
		delete(m, "arch")
		if tt.arch != nil {
			m["arch"] = tt.arch
		}
		p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".safetensors")
		if err := checkpoint.Save(p, m, ts); err != nil {
			t.Fatal(err)
		}
		got, _, err := catdog.ReadMeta(p)
		switch {
		case tt.wantErr && (!errors.Is(err, catdog.ErrUnknownArch) || !strings.Contains(err.Error(), p)):
			t.Errorf("%s: ReadMeta error %v, want ErrUnknownArch naming the file", tt.name, err)
		case !tt.wantErr && (err != nil || got.Arch != catdog.ArchMLP6):
			t.Errorf("%s: arch %q, error %v; want %q", tt.name, got.Arch, err, catdog.ArchMLP6)
		}
	}
}

// saveSmallMLP saves an untrained perceptron with one hidden layer of 4
// units to dir/net.safetensors and returns the path, its metadata as a
// generic map (to rewrite) and its tensors.
func saveSmallMLP(t *testing.T, dir string) (string, map[string]any, []checkpoint.Tensor) {
	t.Helper()
	cfg := catdog.DefaultConfig()
	cfg.Hidden = []int{4}
	net, err := catdog.NewNetwork(cfg, 2, cpu.New(), optim.NewSGD(0.1))
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	path := filepath.Join(dir, "net.safetensors")
	if err := net.Save(path, catdog.Meta{Epoch: 1, Optimizer: optim.NewSGD(0.1)}); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	ts, err := checkpoint.Load(path, &raw)
	if err != nil {
		t.Fatal(err)
	}
	return path, raw, ts
}

// TestCNNCheckpointRoundTrip saves a trained CNN, with and without batch
// normalisation, rebuilds it from the checkpoint's metadata alone, and
// checks that it predicts the same (so the running statistics came back
// too); a perceptron refuses the CNN's checkpoint.
func TestCNNCheckpointRoundTrip(t *testing.T) {
	t.Parallel()
	for _, layers := range []*catdog.CNNLayers{catdog.DefaultCNNLayers(), catdog.DefaultCNNLayers().WithBatchNorm()} {
		t.Run(fmt.Sprintf("batchnorm=%t", layers.BatchNorm()), func(t *testing.T) {
			t.Parallel()
			cnnRoundTrip(t, layers)
		})
	}
}

func cnnRoundTrip(t *testing.T, layers *catdog.CNNLayers) {
	cfg, err := catdog.ConfigFor(catdog.ArchCNN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed, cfg.CNN = 7, layers
	meta, ts := roundTrip(t, cfg, synthetic.Generate(32, 3, cfg.Side))
	got := meta.Config()
	if meta.Arch != catdog.ArchCNN || meta.Model != catdog.ArchCNN || got.CNN == nil || !reflect.DeepEqual(*got.CNN, *layers) || got.Seed != 7 || len(got.Hidden) != 0 {
		t.Fatalf("metadata arch %q, model %q, config %+v", meta.Arch, meta.Model, got)
	}

	mlp := catdog.DefaultConfig()
	mlp.Hidden = []int{4}
	other, err := catdog.NewNetwork(mlp, 2, cpu.New(), optim.NewSGD(0.1))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Load(meta, ts, false); !errors.Is(err, catdog.ErrArchMismatch) || !strings.Contains(err.Error(), "cnn") {
		t.Errorf("loading a cnn checkpoint into an mlp6: %v, want ErrArchMismatch", err)
	}
}

// roundTrip trains cfg's network for an epoch on set, saves it, rebuilds
// it from the checkpoint's metadata alone at another batch size (the
// layers come from the metadata, not the batch) and fails unless it
// predicts as the saved one did. It returns the checkpoint read back.
func roundTrip(t *testing.T, cfg catdog.Config, set *dataset.Set) (catdog.Meta, []checkpoint.Tensor) {
	t.Helper()
	net := newNet(t, cfg, 8)
	if _, err := net.TrainEpoch(context.Background(), set, 1, 1, nil); err != nil {
		t.Fatal(err)
	}
	want, err := net.Probabilities(set)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "net.safetensors")
	if err := net.Save(path, catdog.Meta{Epoch: 1, Optimizer: optim.NewAdam(1e-3)}); err != nil {
		t.Fatal(err)
	}
	meta, ts, err := catdog.ReadMeta(path)
	if err != nil {
		t.Fatal(err)
	}
	loaded := newNet(t, meta.Config(), 5)
	if err := loaded.Load(meta, ts, true); err != nil {
		t.Fatal(err)
	}
	probs, err := loaded.Probabilities(set)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if !scalar.EqualWithinAbs(float64(probs[i]), float64(want[i]), 1e-5) {
			t.Fatalf("image %d: P(cat) %v after loading, %v before", i, probs[i], want[i])
		}
	}
	return meta, ts
}

// TestConfigOfTheOtherArch refuses a layer setting that the architecture
// does not have.
func TestConfigOfTheOtherArch(t *testing.T) {
	t.Parallel()
	cnn, _ := catdog.ConfigFor(catdog.ArchCNN)
	cnn.Hidden = []int{64}
	mlp := catdog.DefaultConfig()
	mlp.CNN = catdog.DefaultCNNLayers()
	for name, cfg := range map[string]catdog.Config{"cnn with hidden layers": cnn, "mlp6 with convolutions": mlp} {
		if _, err := catdog.NewNetwork(cfg, 2, cpu.New(), optim.NewSGD(0.1)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := catdog.ConfigFor("vgg16"); !errors.Is(err, catdog.ErrUnknownArch) {
		t.Errorf("ConfigFor(vgg16): %v", err)
	}
}

// TestSummary checks that every layer, its kind, its shapes and its
// parameters are described.
func TestSummary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		arch string
		want []string
	}{
		{catdog.ArchMLP6, []string{"layer1", "10000 -> 512", "5120512", "layer6", "512 -> 1", "sigmoid"}},
		{catdog.ArchCNN, []string{
			"conv1    conv2d    1x100x100 -> 8x50x50     relu       80\n",
			"pool1    maxpool2d 8x50x50 -> 8x25x25",
			"flatten  flatten   32x6x6 -> 1152",
			"dense1   dense     1152 -> 64               relu       73792\n",
			"dropout  dropout   64 -> 64                 rate 0.5   0\n",
			"dense2   dense     64 -> 1                  sigmoid    65\n",
		}},
	}
	for _, tt := range tests {
		cfg, _ := catdog.ConfigFor(tt.arch)
		net, err := catdog.NewNetwork(cfg, 2, cpu.New(), optim.NewSGD(0.1))
		if err != nil {
			t.Fatal(err)
		}
		s := net.Summary()
		net.Close()
		for _, w := range append(tt.want, fmt.Sprintf("total parameters: %d", net.Model.ParamCount())) {
			if !strings.Contains(s, w) {
				t.Errorf("%s summary lacks %q:\n%s", tt.arch, w, s)
			}
		}
	}
}

// TestFormat1Checkpoint reads a checkpoint of format 1, which stored dense
// weights in×out: its weights and optimizer state are turned out×in, and
// the network predicts and trains on exactly as the one that wrote it.
// The tensors of format 1 loaded as they are do not fit the network, and
// Load says so rather than reading them transposed.
func TestFormat1Checkpoint(t *testing.T) {
	t.Parallel()
	cfg := catdog.DefaultConfig()
	cfg.Hidden = []int{6, 3}
	cfg.Pixels = dataset.Unit // as all networks were before format 3
	set := synthetic.Generate(24, 5, cfg.Side)
	opt := optim.NewAdam(1e-3)
	newNet := func() *catdog.Network {
		net, err := catdog.NewNetwork(cfg, 8, cpu.New(), opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { net.Close() })
		return net
	}
	net := newNet()
	if _, err := net.TrainEpoch(context.Background(), set, 1, 1, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "v2.safetensors")
	if err := net.Save(path, catdog.Meta{Epoch: 1, Optimizer: opt}); err != nil {
		t.Fatal(err)
	}

	// Write the same checkpoint as format 1 did: dense weights (and their
	// optimizer state) in×out.
	var raw map[string]any
	ts, err := checkpoint.Load(path, &raw)
	if err != nil {
		t.Fatal(err)
	}
	if raw["format"] != float64(3) || raw["pixels"] != "unit" {
		t.Fatalf("Save wrote format %v, pixels %v; want 3, unit", raw["format"], raw["pixels"])
	}
	raw["format"] = 1
	delete(raw, "pixels")
	var old []checkpoint.Tensor
	transposed := 0
	for _, tn := range ts {
		if len(tn.Shape) == 2 {
			rows, cols := tn.Shape[0], tn.Shape[1]
			d := make([]float32, len(tn.Data))
			for r := range rows {
				for c := range cols {
					d[c*rows+r] = tn.Data[r*cols+c]
				}
			}
			tn = checkpoint.Tensor{Name: tn.Name, Shape: []int{cols, rows}, Data: d}
			transposed++
		}
		old = append(old, tn)
	}
	if transposed != 3*3 { // three weights, each with Adam's two slots
		t.Fatalf("%d 2-D tensors in the checkpoint, want 9", transposed)
	}
	oldPath := filepath.Join(dir, "v1.safetensors")
	if err := checkpoint.Save(oldPath, raw, old); err != nil {
		t.Fatal(err)
	}

	meta, got, err := catdog.ReadMeta(oldPath)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Format != 3 {
		t.Errorf("format %d after reading, want 3, a grayscale model's", meta.Format)
	}
	loaded := newNet()
	if err := loaded.Load(meta, got, true); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*catdog.Network{net, loaded} {
		if _, err := n.TrainEpoch(context.Background(), set, 1, 2, nil); err != nil {
			t.Fatal(err)
		}
	}
	want, err := net.Probabilities(set)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := loaded.Probabilities(set)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if probs[i] != want[i] {
			t.Fatalf("image %d after another epoch: P(cat) %v from the format 1 checkpoint, %v from the network that wrote it", i, probs[i], want[i])
		}
	}

	var meta1 catdog.Meta
	if _, err := checkpoint.Load(oldPath, &meta1); err != nil {
		t.Fatal(err)
	}
	meta1.Arch = catdog.ArchMLP6
	if err := newNet().Load(meta1, old, false); err == nil || !strings.Contains(err.Error(), "layer1.weight") {
		t.Errorf("loading in×out weights unconverted: %v, want an error naming layer1.weight", err)
	}
}

// Resized widens, deepens and shrinks the default CNN: each new block or
// dense layer copies its neighbour's settings (only the first block
// strides, batch normalisation stays), the output layer and dropout stay,
// and the result builds.
func TestCNNLayersResized(t *testing.T) {
	def := catdog.DefaultCNNLayers()
	if got := def.Filters(); !slices.Equal(got, []int{8, 16, 32}) {
		t.Fatalf("default filters %v", got)
	}
	if got := def.Hidden(); !slices.Equal(got, []int{64}) {
		t.Fatalf("default hidden %v", got)
	}
	for _, tt := range []struct {
		name            string
		from            *catdog.CNNLayers
		filters, hidden []int
		wantF, wantH    []int
	}{
		{"unchanged", def, nil, nil, []int{8, 16, 32}, []int{64}},
		{"wider and deeper", def, []int{16, 32, 64, 128}, []int{256, 128}, []int{16, 32, 64, 128}, []int{256, 128}},
		{"one block", def, []int{4}, nil, []int{4}, []int{64}},
		{"other dense layer", def, nil, []int{32}, []int{8, 16, 32}, []int{32}},
		{"no dense hidden layer", def, nil, []int{}, []int{8, 16, 32}, []int{}},
		{"batch norm kept", def.WithBatchNorm(), []int{8, 8, 8, 8}, nil, []int{8, 8, 8, 8}, []int{64}},
		{"hidden layers where there were none", &catdog.CNNLayers{Blocks: def.Blocks, Dense: def.Dense[1:], Dropout: def.Dropout},
			nil, []int{16, 8}, []int{8, 16, 32}, []int{16, 8}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, err := tt.from.Resized(tt.filters, tt.hidden)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(l.Filters(), tt.wantF) || !slices.Equal(l.Hidden(), tt.wantH) {
				t.Errorf("filters %v, hidden %v", l.Filters(), l.Hidden())
			}
			bn := tt.from.BatchNorm()
			for i, b := range l.Blocks {
				if want := 1 + b2i(i == 0); max(b.Stride, 1) != want || b.Kernel != 3 || b.Pool != 2 || b.Activation != graph.ReLU || b.BatchNorm != bn {
					t.Errorf("block %d: %+v", i, b)
				}
			}
			for i, d := range l.Dense[:len(l.Dense)-1] {
				if d.Activation != graph.ReLU {
					t.Errorf("dense layer %d: %+v", i, d)
				}
			}
			out := l.Dense[len(l.Dense)-1]
			if out.Units != 1 || out.Activation != graph.Sigmoid || l.Dropout != def.Dropout {
				t.Errorf("output layer %+v, dropout %v", out, l.Dropout)
			}
			cfg, err := catdog.ConfigFor(catdog.ArchCNN)
			if err != nil {
				t.Fatal(err)
			}
			cfg.CNN = l
			if _, err := graph.CNN(cfg.CNNSpec(2)); err != nil {
				t.Errorf("does not build: %v", err)
			}
		})
	}
	if !slices.Equal(def.Filters(), []int{8, 16, 32}) || !slices.Equal(def.Hidden(), []int{64}) {
		t.Error("Resized changed the layers it was called on")
	}
	for _, bad := range [][2][]int{{{0}, nil}, {{}, nil}, {nil, {-1}}} {
		if _, err := def.Resized(bad[0], bad[1]); err == nil {
			t.Errorf("Resized(%v, %v) accepted", bad[0], bad[1])
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ParamCount, worked out from shapes alone, agrees with the networks
// built, and refuses blocks that shrink the images to nothing.
func TestParamCount(t *testing.T) {
	cnn := func(filters, hidden []int, bn bool) catdog.Config {
		cfg, err := catdog.ConfigFor(catdog.ArchCNN)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.CNN, err = cfg.CNNLayers().Resized(filters, hidden); err != nil {
			t.Fatal(err)
		}
		if bn {
			cfg.CNN = cfg.CNN.WithBatchNorm()
		}
		return cfg
	}
	mlp := catdog.DefaultConfig()
	mlpBN := mlp
	mlpBN.HiddenBatchNorm = true
	colour := func(cfg catdog.Config) catdog.Config {
		cfg.Channels = dataset.RGB
		return cfg
	}
	for _, tt := range []struct {
		name string
		cfg  catdog.Config
	}{
		{"mlp6", mlp},
		{"mlp6 with batch norm", mlpBN},
		{"default cnn", cnn(nil, nil, false)},
		{"cnn with batch norm", cnn(nil, nil, true)},
		{"wide deep cnn", cnn([]int{16, 32, 64, 64, 8}, []int{128, 32}, true)},
		{"colour mlp6", colour(mlp)},
		{"colour cnn", colour(cnn(nil, nil, true))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.ParamCount()
			if err != nil {
				t.Fatal(err)
			}
			net, err := catdog.NewNetwork(tt.cfg, 2, cpu.New(), optim.NewSGD(0.1))
			if err != nil {
				t.Fatal(err)
			}
			defer net.Close()
			if want := net.Model.ParamCount(); got != want {
				t.Errorf("ParamCount %d, the built network has %d", got, want)
			}
		})
	}
	if n, err := cnn([]int{8, 8, 8, 8, 8, 8}, nil, false).ParamCount(); err == nil || !strings.Contains(err.Error(), "block 6") {
		t.Errorf("six blocks on 100x100: %d parameters, error %v; want block 6 refused", n, err)
	}
}

// New networks take centred pixels and their checkpoints say so; a format
// 2 checkpoint, from before the field, was trained on unit pixels and
// reads as such; a network encoding pixels otherwise refuses to load a
// checkpoint, rather than predicting from inputs it was not trained on.
func TestPixelEncoding(t *testing.T) {
	t.Parallel()
	cfg := catdog.DefaultConfig()
	if cfg.Pixels != dataset.Centred {
		t.Fatalf("new networks take %q pixels, want centred", cfg.Pixels)
	}
	cfg.Hidden = []int{5}
	opt := optim.NewSGD(0.1)
	newNet := func(c catdog.Config) *catdog.Network {
		net, err := catdog.NewNetwork(c, 4, cpu.New(), opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { net.Close() })
		return net
	}
	set := synthetic.Generate(12, 3, cfg.Side)
	net := newNet(cfg)
	if _, err := net.TrainEpoch(context.Background(), set, 1, 1, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "c.safetensors")
	if err := net.Save(path, catdog.Meta{Epoch: 1, Optimizer: opt}); err != nil {
		t.Fatal(err)
	}
	meta, ts, err := catdog.ReadMeta(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Pixels != dataset.Centred || meta.Config().Pixels != dataset.Centred {
		t.Errorf("checkpoint says pixels %q (config %q), want centred", meta.Pixels, meta.Config().Pixels)
	}
	loaded := newNet(meta.Config())
	if err := loaded.Load(meta, ts, false); err != nil {
		t.Fatal(err)
	}
	want, err := net.Probabilities(set)
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.Probabilities(set)
	if err != nil {
		t.Fatal(err)
	}
	// The same weights and inputs; OpenBLAS may split a product over a
	// different number of threads from one call to the next (other tests
	// run in parallel), so the sums agree to float32 rounding, not bits.
	for i := range want {
		if !scalar.EqualWithinAbsOrRel(float64(got[i]), float64(want[i]), 1e-7, 1e-5) {
			t.Errorf("reloaded network predicts %v, the one saved %v", got, want)
			break
		}
	}

	// The same file as format 2 wrote it: no pixels field.
	var raw map[string]any
	if _, err := checkpoint.Load(path, &raw); err != nil {
		t.Fatal(err)
	}
	raw["format"] = 2
	delete(raw, "pixels")
	old := filepath.Join(dir, "v2.safetensors")
	if err := checkpoint.Save(old, raw, ts); err != nil {
		t.Fatal(err)
	}
	meta2, ts2, err := catdog.ReadMeta(old)
	if err != nil {
		t.Fatal(err)
	}
	if meta2.Pixels != dataset.Unit || meta2.Config().Pixels != dataset.Unit {
		t.Errorf("format 2 checkpoint reads as pixels %q (config %q), want unit", meta2.Pixels, meta2.Config().Pixels)
	}
	if err := newNet(cfg).Load(meta2, ts2, false); !errors.Is(err, catdog.ErrPixelsMismatch) {
		t.Errorf("loading unit-pixel weights into a centred network: %v, want ErrPixelsMismatch", err)
	}
	if err := newNet(meta2.Config()).Load(meta2, ts2, false); err != nil {
		t.Errorf("loading it into the network it describes: %v", err)
	}

	raw["format"], raw["pixels"] = 3, "sepia"
	bad := filepath.Join(dir, "bad.safetensors")
	if err := checkpoint.Save(bad, raw, ts); err != nil {
		t.Fatal(err)
	}
	if _, _, err := catdog.ReadMeta(bad); err == nil || !strings.Contains(err.Error(), `"sepia" is not a pixel encoding`) {
		t.Errorf("unknown encoding: %v", err)
	}
}

// Every way a Network takes images feeds its program the pixels encoded
// as its Config says: a training batch, prediction from raw images and
// from a set give what the program gives on inputs encoded by hand.
func TestNetworkFeedsEncodedPixels(t *testing.T) {
	t.Parallel()
	cfg := catdog.DefaultConfig()
	cfg.Hidden = []int{5}
	const batch = 4
	newNet := func() *catdog.Network {
		net, err := catdog.NewNetwork(cfg, batch, cpu.New(), optim.NewSGD(0.1))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { net.Close() })
		return net
	}
	net, byHand := newNet(), newNet() // the same seed: the same weights
	set := synthetic.Generate(batch, 9, cfg.Side)
	idx := []int{0, 1, 2, 3}
	x, y := make([]float32, batch*set.Size()), make([]float32, batch)
	set.Fill(dataset.Centred, x, y, idx)

	loss, err := net.TrainBatch(set, idx)
	if err != nil {
		t.Fatal(err)
	}
	want, err := byHand.Program.Train(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if loss != want {
		t.Errorf("TrainBatch loss %v, the program's on centred inputs %v", loss, want)
	}

	probs := make([]float32, batch)
	if err := byHand.Program.Predict([][]float32{probs}, x, nil); err != nil {
		t.Fatal(err)
	}
	images := make([][]uint8, batch)
	for i := range images {
		images[i] = set.Image(i)
	}
	predicted, err := net.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	fromSet, err := net.Probabilities(set)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(predicted, probs) || !slices.Equal(fromSet, probs) {
		t.Errorf("P(cat): Predict %v, Probabilities %v, the program on centred inputs %v", predicted, fromSet, probs)
	}
}

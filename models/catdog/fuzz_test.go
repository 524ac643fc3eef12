package catdog

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// fuzzBuildLimit is the largest model (parameters, and values one image's
// layers output) FuzzReadMeta goes on to build: bigger ones pass the
// checks without costing each run of the fuzzer seconds.
const fuzzBuildLimit = 1 << 14

// fuzzCheckpoint saves a small network of cfg and returns its metadata's
// JSON and its tensors, as ReadMeta's callers get them from the file.
func fuzzCheckpoint(f *testing.F, cfg Config) (json.RawMessage, []checkpoint.Tensor) {
	net, err := NewNetwork(cfg, 2, cpu.New(), optim.NewAdam(1e-3))
	if err != nil {
		f.Fatal(err)
	}
	defer net.Close()
	path := filepath.Join(f.TempDir(), "fuzz.safetensors")
	if err := net.Save(path, Meta{Epoch: 1, Epochs: 3, Optimizer: optim.NewAdam(1e-3)}); err != nil {
		f.Fatal(err)
	}
	var raw json.RawMessage
	ts, err := checkpoint.Load(path, &raw)
	if err != nil {
		f.Fatal(err)
	}
	return raw, ts
}

// FuzzReadMeta feeds the checks that turn a checkpoint's metadata into a
// model (checkedMeta, then Meta.Config and NewNetwork) metadata derived
// from what Save writes for a small perceptron and a small CNN, with the
// tensors of one of them. Whatever the JSON claims, the checks must not
// crash, must hold the model to the parameters its tensors have, and a
// model that passes them (if small enough to build here) must build,
// load its weights or refuse them with an error, and predict.
func FuzzReadMeta(f *testing.F) {
	mlp := DefaultConfig()
	mlp.Side, mlp.Hidden = 6, []int{3, 2}
	cnn, _ := ConfigFor(ArchCNN)
	layers, err := DefaultCNNLayers().Resized([]int{2}, []int{3})
	if err != nil {
		f.Fatal(err)
	}
	cnn.Side, cnn.CNN = 6, layers.WithBatchNorm()
	var sets [][]checkpoint.Tensor
	for _, cfg := range []Config{mlp, cnn} {
		raw, ts := fuzzCheckpoint(f, cfg)
		sets = append(sets, ts)
		for i := range 2 {
			f.Add([]byte(raw), uint8(i))
		}
		f.Add([]byte(strings.Replace(string(raw), `"format":3`, `"format":1`, 1)), uint8(len(sets)-1))
		f.Add([]byte(strings.Replace(string(raw), `"format":3`, `"format":4`, 1)), uint8(len(sets)-1))
	}
	f.Add([]byte(`{"format":3,"arch":"cnn","side":4096,"batch":64,"cnn":{"blocks":[{"Filters":1048576,"Kernel":1}],"dense":[{"Units":1}]}}`), uint8(1))
	f.Add([]byte(`{"format":2,"side":1000000,"hidden":[1000000000]}`), uint8(0))

	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		var meta Meta
		if err := json.Unmarshal(data, &meta); err != nil {
			return
		}
		// checkedMeta may turn format 1's weights in place: give it a copy.
		ts := slices.Clone(sets[int(which)%len(sets)])
		for i := range ts {
			ts[i].Data = slices.Clone(ts[i].Data)
		}
		meta, ts, err := checkedMeta("fuzz.safetensors", meta, ts)
		if err != nil {
			if errors.Is(err, ErrUnknownArch) || errors.Is(err, ErrNewerFormat) || errors.Is(err, ErrBadMeta) ||
				strings.Contains(err.Error(), "pixel") {
				return
			}
			t.Fatalf("checkedMeta: an error of no known kind: %v", err)
		}
		cfg := meta.Config()
		params, values, err := cfg.sizes()
		if err != nil {
			t.Fatalf("passed the checks, but: %v", err)
		}
		held := 0
		for _, tt := range ts {
			held += len(tt.Data)
		}
		if params > held || values > maxValues {
			t.Fatalf("passed the checks with %d parameters (%d values held) and %d values an image", params, held, values)
		}
		if params > fuzzBuildLimit || values > fuzzBuildLimit {
			return
		}
		net, err := NewNetwork(cfg, 2, cpu.New(), meta.Optimizer)
		if err != nil {
			return // an optimizer or activation the graph refuses, by name
		}
		defer net.Close()
		if err := net.Load(meta, ts, true); err != nil {
			return // tensors that do not fit the model: refused, not crashed
		}
		side := cfg.Side * cfg.Side
		if _, err := net.Predict([][]uint8{make([]uint8, side), make([]uint8, side)}); err != nil {
			t.Fatalf("predicting with a model that loaded: %v", err)
		}
	})
}

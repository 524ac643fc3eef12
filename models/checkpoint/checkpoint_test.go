package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nlpodyssey/safetensors"
)

// runMeta stands in for what a trainer stores beside the weights.
type runMeta struct {
	Model    string   `json:"model"`
	Epoch    int      `json:"epoch"`
	Accuracy float64  `json:"accuracy"`
	Classes  []string `json:"classes"`
}

func sampleTensors() []Tensor {
	return []Tensor{
		{Name: "dense1.weight", Shape: []int{2, 3}, Data: []float32{1, -2, 3.5, 0, 1e-30, -7}},
		{Name: "dense1.bias", Shape: []int{3}, Data: []float32{0.25, float32(math.Inf(-1)), float32(math.Copysign(0, -1))}},
		{Name: "scale", Shape: []int{1}, Data: []float32{42}},
		{Name: "step", Shape: []int{}, Data: []float32{7}},
		{Name: "empty", Shape: []int{0, 4}, Data: []float32{}},
	}
}

func sampleMeta() runMeta {
	return runMeta{Model: "catdog-cnn <v2>", Epoch: 12, Accuracy: 0.875, Classes: []string{"dog", "cat"}}
}

// saveSample writes the sample checkpoint to dir/name and returns its path.
func saveSample(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := Save(path, sampleMeta(), sampleTensors()); err != nil {
		t.Fatalf("Save: %v", err)
	}
	return path
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	path := saveSample(t, t.TempDir(), "last.safetensors")

	var meta runMeta
	got, err := Load(path, &meta)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !reflect.DeepEqual(meta, sampleMeta()) {
		t.Errorf("meta = %+v, want %+v", meta, sampleMeta())
	}
	want := sampleTensors()
	names := []string{"dense1.bias", "dense1.weight", "empty", "scale", "step"}
	if len(got) != len(names) {
		t.Fatalf("loaded %d tensors, want %d", len(got), len(names))
	}
	for i, g := range got {
		if g.Name != names[i] {
			t.Errorf("tensor %d is %q, want %q (sorted by name)", i, g.Name, names[i])
		}
		var w Tensor
		for _, c := range want {
			if c.Name == g.Name {
				w = c
			}
		}
		if !slices.Equal(g.Shape, w.Shape) {
			t.Errorf("%s: shape %v, want %v", g.Name, g.Shape, w.Shape)
		}
		if !bitsEqual(g.Data, w.Data) {
			t.Errorf("%s: data %v, want %v", g.Name, g.Data, w.Data)
		}
	}

	// Loading without asking for metadata works too.
	if _, err := Load(path, nil); err != nil {
		t.Errorf("Load(path, nil): %v", err)
	}
}

func TestOnDiskFormat(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "m.safetensors")
	data := []float32{1, 2, 3, 4}
	if err := Save(path, map[string]int{"epoch": 3}, []Tensor{{Name: "w", Shape: []int{2, 2}, Data: data}}); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(file) < 8 {
		t.Fatalf("file is %d bytes", len(file))
	}
	n := binary.LittleEndian.Uint64(file[:8])
	if n%8 != 0 || 8+n+16 != uint64(len(file)) {
		t.Fatalf("header length %d in a %d-byte file; want a multiple of 8 followed by 16 data bytes", n, len(file))
	}
	var header struct {
		W struct {
			DType       string   `json:"dtype"`
			Shape       []int    `json:"shape"`
			DataOffsets []uint64 `json:"data_offsets"`
		} `json:"w"`
		Metadata map[string]string `json:"__metadata__"`
	}
	dec := json.NewDecoder(bytes.NewReader(file[8 : 8+n]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&header); err != nil {
		t.Fatalf("header %q: %v", file[8:8+n], err)
	}
	if header.W.DType != "F32" || !slices.Equal(header.W.Shape, []int{2, 2}) ||
		!reflect.DeepEqual(header.W.DataOffsets, []uint64{0, 16}) {
		t.Errorf("tensor entry = %+v, want F32 [2 2] [0 16]", header.W)
	}
	if want := map[string]string{"neurone": `{"epoch":3}`}; !reflect.DeepEqual(header.Metadata, want) {
		t.Errorf("__metadata__ = %q, want %q", header.Metadata, want)
	}
	for i, x := range data {
		if got := math.Float32frombits(binary.LittleEndian.Uint32(file[8+n+uint64(4*i):])); got != x {
			t.Errorf("value %d = %v, want %v", i, got, x)
		}
	}
}

func TestSidecar(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	saveSample(t, dir, "best.safetensors")
	got, err := os.ReadFile(filepath.Join(dir, "best.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "model": "catdog-cnn <v2>",
  "epoch": 12,
  "accuracy": 0.875,
  "classes": [
    "dog",
    "cat"
  ]
}
`
	if string(got) != want {
		t.Errorf("best.json =\n%s\nwant\n%s", got, want)
	}
}

func TestSaveRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		meta    any
		tensors []Tensor
		wantErr string // a substring the error must hold besides the path
	}{
		{"duplicate name", nil, []Tensor{{Name: "w", Shape: []int{1}, Data: []float32{1}}, {Name: "w", Shape: []int{1}, Data: []float32{2}}}, `"w" appears more than once`},
		{"empty name", nil, []Tensor{{Name: "", Shape: []int{1}, Data: []float32{1}}}, "tensor 0 has an empty name"},
		{"reserved name", nil, []Tensor{{Name: "__metadata__", Shape: []int{1}, Data: []float32{1}}}, `"__metadata__" is reserved`},
		{"too few values", nil, []Tensor{{Name: "w", Shape: []int{2, 3}, Data: make([]float32, 5)}}, `"w": shape [2 3] holds more than the 5 values`},
		{"too many values", nil, []Tensor{{Name: "b", Shape: []int{2}, Data: make([]float32, 3)}}, `"b": shape [2] holds 2 values, Data has 3`},
		{"negative dimension", nil, []Tensor{{Name: "n", Shape: []int{-1, -4}, Data: make([]float32, 4)}}, `"n": shape [-1 -4] has a negative dimension`},
		{"overflowing shape", nil, []Tensor{{Name: "big", Shape: []int{math.MaxInt, math.MaxInt}, Data: make([]float32, 1)}}, `"big": shape`},
		{"unmarshalable meta", map[string]float64{"loss": math.NaN()}, []Tensor{{Name: "w", Shape: []int{1}, Data: []float32{1}}}, "metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := saveSample(t, dir, "last.safetensors")
			before := readAll(t, dir)

			err := Save(path, tt.meta, tt.tensors)
			if err == nil {
				t.Fatal("Save succeeded")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "checkpoint: "+path+": ") || !strings.Contains(msg, tt.wantErr) {
				t.Errorf("err = %q, want it to name %s and say %q", msg, path, tt.wantErr)
			}
			if after := readAll(t, dir); !reflect.DeepEqual(after, before) {
				t.Errorf("folder changed from %v to %v", keys(before), keys(after))
			}
		})
	}
}

func TestSaveToMissingFolder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "no-such-folder", "last.safetensors")
	err := Save(path, sampleMeta(), sampleTensors())
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v, want fs.ErrNotExist naming %s", err, path)
	}
}

func TestSaveReplaces(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := saveSample(t, dir, "last.safetensors")
	newer := []Tensor{{Name: "w", Shape: []int{2}, Data: []float32{5, 6}}}
	if err := Save(path, map[string]int{"epoch": 13}, newer); err != nil {
		t.Fatal(err)
	}
	var meta map[string]int
	got, err := Load(path, &meta)
	if err != nil || len(got) != 1 || meta["epoch"] != 13 {
		t.Fatalf("Load = %v, meta %v, %v; want the newer checkpoint", got, meta, err)
	}
	if names := keys(readAll(t, dir)); !reflect.DeepEqual(names, []string{"last.json", "last.safetensors"}) {
		t.Errorf("folder holds %v, want only the checkpoint and its copy", names)
	}
}

func TestLoadRejectsMalformed(t *testing.T) {
	t.Parallel()
	good, err := safetensors.Serialize(map[string]f32View{"w": {shape: []uint64{2}, data: []float32{1, 2}}}, map[string]string{"neurone": "{}"})
	if err != nil {
		t.Fatal(err)
	}
	headerLen := binary.LittleEndian.Uint64(good)
	tests := []struct {
		name string
		file []byte
	}{
		{"zero bytes", nil},
		{"shorter than the length", good[:5]},
		{"header cut short", good[:8+headerLen/2]},
		{"data cut short", good[:len(good)-4]},
		{"trailing bytes", append(append([]byte{}, good...), 0, 0, 0, 0)},
		{"length past the end", withHeaderLen(good, uint64(len(good)))},
		{"huge length", withHeaderLen(good, math.MaxUint64)},
		{"header not JSON", file(`{"w":{"dtype":"F32",`, 8)},
		{"header not an object", file(`[1,2,3]`, 0)},
		{"offsets past the end", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4)},
		{"offsets reversed", file(`{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, 8)},
		{"offsets with a gap", file(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8)},
		{"offsets overlap", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12)},
		{"shape disagrees with offsets", file(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8)},
		{"overflowing shape", file(`{"w":{"dtype":"F32","shape":[4294967296,4294967296,2],"data_offsets":[0,8]}}`, 8)},
		{"negative offset", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}`, 8)},
		{"unknown dtype", file(`{"w":{"dtype":"F12","shape":[2],"data_offsets":[0,8]}}`, 8)},
		{"metadata not strings", file(`{"__metadata__":{"neurone":{"epoch":1}}}`, 0)},
		{"metadata not JSON", file(`{"__metadata__":{"neurone":"{epoch"}}`, 0)},
		{"metadata missing", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "last.safetensors")
			if err := os.WriteFile(path, tt.file, 0o644); err != nil {
				t.Fatal(err)
			}
			var meta map[string]any
			got, err := Load(path, &meta)
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("Load = %v, %v; want an error wrapping ErrFormat", got, err)
			}
			if want := "checkpoint: " + path + ": not a valid checkpoint: "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("err = %q, want prefix %q", err, want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nothing.safetensors")
	_, err := Load(path, nil)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "checkpoint: "+path+": ") {
		t.Errorf("err = %v, want fs.ErrNotExist naming %s", err, path)
	}
}

func TestLoadConvertsDTypes(t *testing.T) {
	t.Parallel()
	le16 := func(v ...uint16) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint16(b, x)
		}
		return b
	}
	var f64 []byte
	for _, x := range []float64{0.5, -3, 1e300} {
		f64 = binary.LittleEndian.AppendUint64(f64, math.Float64bits(x))
	}
	views := map[string]safetensors.TensorView{
		"half":   mustView(t, safetensors.F16, []uint64{7}, le16(0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x3555)),
		"brain":  mustView(t, safetensors.BF16, []uint64{3}, le16(0x3f80, 0xc040, 0xff80)),
		"double": mustView(t, safetensors.F64, []uint64{3}, f64),
	}
	path := writeSerialized(t, views, nil)
	got, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	inf := float32(math.Inf(1))
	want := map[string][]float32{
		"brain":  {1, -3, -inf},
		"double": {0.5, -3, inf},
		"half":   {1, -2, 65504, 1.0 / (1 << 24), float32(math.Copysign(0, -1)), inf, 0.333251953125},
	}
	for _, g := range got {
		if !bitsEqual(g.Data, want[g.Name]) {
			t.Errorf("%s = %v, want %v", g.Name, g.Data, want[g.Name])
		}
	}
	if nan := halfToFloat32(0x7e00); !math.IsNaN(float64(nan)) {
		t.Errorf("half 0x7e00 = %v, want NaN", nan)
	}
}

func TestLoadRejectsIntegerDType(t *testing.T) {
	t.Parallel()
	views := map[string]safetensors.TensorView{
		"counts": mustView(t, safetensors.I32, []uint64{2}, make([]byte, 8)),
	}
	path := writeSerialized(t, views, nil)
	_, err := Load(path, nil)
	if err == nil || errors.Is(err, ErrFormat) {
		t.Fatalf("err = %v, want a dtype error that is not ErrFormat", err)
	}
	for _, want := range []string{path, `"counts"`, "I32"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to name %s", err, want)
		}
	}
}

// file builds a safetensors file from header text and dataLen zero bytes,
// padding the header with spaces to a multiple of 8 as the format does.
func file(header string, dataLen int) []byte {
	header += strings.Repeat(" ", (8-len(header)%8)%8)
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, dataLen)...)
}

func withHeaderLen(file []byte, n uint64) []byte {
	b := append([]byte{}, file...)
	binary.LittleEndian.PutUint64(b, n)
	return b
}

func mustView(t *testing.T, dtype safetensors.DType, shape []uint64, data []byte) safetensors.TensorView {
	t.Helper()
	v, err := safetensors.NewTensorView(dtype, shape, data)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func writeSerialized(t *testing.T, views map[string]safetensors.TensorView, meta map[string]string) string {
	t.Helper()
	b, err := safetensors.Serialize(views, meta)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "foreign.safetensors")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readAll returns every file in dir by name, with its contents, so a test
// can tell whether anything there changed or was left behind.
func readAll(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := make(map[string]string, len(entries))
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	return files
}

func keys(m map[string]string) []string {
	var names []string
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// bitsEqual compares float32 slices bit for bit, so -0 and +0 differ.
func bitsEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

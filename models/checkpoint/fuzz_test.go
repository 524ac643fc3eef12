package checkpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/nlpodyssey/safetensors"
)

// FuzzLoad feeds the checkpoint reader files derived from real ones: the
// sample checkpoint as Save writes it, and files of the other dtypes.
// Whatever the bytes, it must return tensors or an error, never crash or
// hang, and never hold more values than the file's bytes can encode (two
// bytes a value, for F16 and BF16). What loads must survive a round trip
// through the writer with every bit kept.
func FuzzLoad(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "last.safetensors")
	if err := Save(path, sampleMeta(), sampleTensors()); err != nil {
		f.Fatal(err)
	}
	saved, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(saved)
	f.Add(saved[:len(saved)-3])
	half, err := safetensors.Serialize(map[string]safetensors.TensorView{
		"half":  mustViewF(f, safetensors.F16, []uint64{2, 1}, []byte{0x00, 0x3c, 0x00, 0xc0}),
		"brain": mustViewF(f, safetensors.BF16, []uint64{1}, []byte{0x80, 0x3f}),
		"wide":  mustViewF(f, safetensors.F64, []uint64{1}, binary.LittleEndian.AppendUint64(nil, math.Float64bits(0.5))),
	}, map[string]string{metaKey: `{"epoch":1}`})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(half)
	f.Add(file(`{"w":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4398046511104]}}`, 8))

	f.Fuzz(func(t *testing.T, data []byte) {
		var meta map[string]any
		ts, err := read("fuzz.safetensors", bytes.NewReader(data), int64(len(data)), &meta)
		if err != nil {
			return
		}
		values := 0
		for _, tt := range ts {
			values += len(tt.Data)
			if err := checkShape(tt.Shape, len(tt.Data)); err != nil {
				t.Fatalf("tensor %q: %v", tt.Name, err)
			}
		}
		if 2*values > len(data) {
			t.Fatalf("%d values from a %d-byte file", values, len(data))
		}
		// Round trip: what loaded writes and reads back bit for bit.
		views := make(map[string]f32View, len(ts))
		for _, tt := range ts {
			dims := make([]uint64, len(tt.Shape))
			for i, d := range tt.Shape {
				dims[i] = uint64(d)
			}
			views[tt.Name] = f32View{shape: dims, data: tt.Data}
		}
		again, err := safetensors.Serialize(views, map[string]string{metaKey: "{}"})
		if err != nil {
			t.Fatalf("re-serializing what loaded: %v", err)
		}
		back, err := read("again.safetensors", bytes.NewReader(again), int64(len(again)), nil)
		if err != nil {
			t.Fatalf("reading back what loaded: %v", err)
		}
		if len(back) != len(ts) {
			t.Fatalf("%d tensors back, %d loaded", len(back), len(ts))
		}
		for i := range back {
			if back[i].Name != ts[i].Name || !bitsEqual(back[i].Data, ts[i].Data) {
				t.Fatalf("tensor %q changed in the round trip", ts[i].Name)
			}
		}
	})
}

func mustViewF(f *testing.F, dtype safetensors.DType, shape []uint64, data []byte) safetensors.TensorView {
	v, err := safetensors.NewTensorView(dtype, shape, data)
	if err != nil {
		f.Fatal(err)
	}
	return v
}

// TestLoadRefusesHugeClaimsBeforeAllocating writes small files whose
// headers claim a terabyte of header, a terabyte of data, or a billion
// tensors, and checks that Load refuses each having allocated little.
func TestLoadRefusesHugeClaimsBeforeAllocating(t *testing.T) {
	dir := t.TempDir()
	var billion bytes.Buffer
	billion.WriteString(`{`)
	for i := range 1000 {
		if i > 0 {
			billion.WriteString(",")
		}
		// Each entry claims a billion F32 values the file does not hold.
		fmt.Fprintf(&billion, `"t%d":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}`, i)
	}
	billion.WriteString(`}`)
	tests := []struct {
		name string
		file []byte
	}{
		{"header of 2^40 bytes", withHeaderLen(file(`{}`, 0), 1<<40)},
		{"header of 10^9 tensors' worth", withHeaderLen(file(`{}`, 0), 1e9*64)},
		{"header over the limit", withHeaderLen(append(file(`{}`, 0), make([]byte, 1<<10)...), MaxHeaderLen+1)},
		{"tensor of 2^40 bytes", file(`{"w":{"dtype":"F32","shape":[274877906944],"data_offsets":[0,1099511627776]}}`, 8)},
		{"a thousand tensors of 10^9 values", file(billion.String(), 16)},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, "huge.safetensors")
		if err := os.WriteFile(path, tt.file, 0o644); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Load(path, nil)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: Load error %v, want ErrFormat", tt.name, err)
		}
		// The header text, parsed, and little else: far below the claims.
		if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(64*len(tt.file)+1<<20); got > limit {
			t.Errorf("%s: Load allocated %d bytes for a %d-byte file, over %d", tt.name, got, len(tt.file), limit)
		}
	}
}

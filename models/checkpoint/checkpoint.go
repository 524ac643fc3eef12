package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path/filepath"
	"strings"

	"github.com/nlpodyssey/safetensors"

	"github.com/neurone-dl/neurone/internal/atomicfile"
)

// metaKey is the key, inside the safetensors "__metadata__" map, whose value
// is the caller's metadata as JSON text. The format allows only string
// values there, so the JSON is stored as one string.
const metaKey = "neurone"

// headerMetaKey is the header entry the safetensors format reserves for
// metadata; no tensor may take that name.
const headerMetaKey = "__metadata__"

// ErrFormat reports a file that is not a well-formed checkpoint. Errors from
// Load wrap it with the file name and what was wrong.
var ErrFormat = errors.New("checkpoint: not a valid checkpoint")

// Tensor is one named float32 array, row-major.
type Tensor struct {
	Name  string
	Shape []int // an empty Shape is a scalar holding one value
	Data  []float32
}

// Save writes tensors and meta to path atomically: to a temporary file in
// the same folder, synced, then renamed over path. meta may be any value
// that encoding/json can marshal; it is stored as JSON text under the key
// "neurone" of the safetensors "__metadata__" map, and also written, indented,
// to the same path with its extension replaced by ".json" (atomically too).
//
// Tensor names must be unique, non-empty and not "__metadata__", and each
// tensor's len(Data) must equal the product of its Shape; otherwise Save
// returns an error naming the tensor and writes nothing. If Save fails for
// any reason, the checkpoint at path is left as it was.
func Save(path string, meta any, tensors []Tensor) error {
	return SaveFS(nil, path, meta, tensors)
}

// FS is a file system Save can write through: the operating system's
// (atomicfile.OS) unless another is given, such as a test's that fails
// as a full disk would.
type FS = atomicfile.FS

// SaveFS is Save through fsys; nil means the operating system's files.
func SaveFS(fsys FS, path string, meta any, tensors []Tensor) error {
	sidecar := metaPath(path)
	if sidecar == path {
		return fmt.Errorf("checkpoint: %s: the metadata copy would overwrite the checkpoint; use the .safetensors extension", path)
	}
	views := make(map[string]f32View, len(tensors))
	for i, t := range tensors {
		switch _, dup := views[t.Name]; {
		case t.Name == "":
			return fmt.Errorf("checkpoint: %s: tensor %d has an empty name", path, i)
		case t.Name == headerMetaKey:
			return fmt.Errorf("checkpoint: %s: tensor name %q is reserved by the safetensors format", path, t.Name)
		case dup:
			return fmt.Errorf("checkpoint: %s: tensor %q appears more than once", path, t.Name)
		}
		if err := checkShape(t.Shape, len(t.Data)); err != nil {
			return fmt.Errorf("checkpoint: %s: tensor %q: %w", path, t.Name, err)
		}
		dims := make([]uint64, len(t.Shape))
		for j, d := range t.Shape {
			dims[j] = uint64(d)
		}
		views[t.Name] = f32View{shape: dims, data: t.Data}
	}
	compact, err := marshalJSON(meta, "")
	if err != nil {
		return fmt.Errorf("checkpoint: %s: metadata: %w", path, err)
	}
	indented, err := marshalJSON(meta, "  ")
	if err != nil {
		return fmt.Errorf("checkpoint: %s: metadata: %w", path, err)
	}
	headerMeta := map[string]string{metaKey: string(bytes.TrimSuffix(compact, []byte("\n")))}

	err = atomicfile.WriteFS(fsys, path, 0o644, func(w io.Writer) error {
		return safetensors.SerializeToWriter(views, headerMeta, w)
	})
	if err != nil {
		return fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	if err := atomicfile.WriteFileFS(fsys, sidecar, indented, 0o644); err != nil {
		return fmt.Errorf("checkpoint: %s: weights saved, but not the metadata copy: %w", path, err)
	}
	return nil
}

// checkShape reports whether shape holds exactly n values, without
// overflowing on absurd shapes.
func checkShape(shape []int, n int) error {
	want := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("shape %v has a negative dimension", shape)
		}
		if d == 0 {
			want = 0
		}
	}
	for _, d := range shape {
		if want == 0 {
			break
		}
		if want > n/d {
			return fmt.Errorf("shape %v holds more than the %d values in Data", shape, n)
		}
		want *= d
	}
	if want != n {
		return fmt.Errorf("shape %v holds %d values, Data has %d", shape, want, n)
	}
	return nil
}

// f32View lets the library serialize a float32 slice. Data encodes on each
// call, so SerializeToWriter holds one tensor's bytes at a time rather than
// a copy of the whole model.
type f32View struct {
	shape []uint64
	data  []float32
}

func (v f32View) DType() safetensors.DType { return safetensors.F32 }
func (v f32View) Shape() []uint64          { return v.shape }
func (v f32View) DataLen() uint64          { return 4 * uint64(len(v.data)) }

func (v f32View) Data() []byte {
	buf := make([]byte, 0, 4*len(v.data))
	for _, x := range v.data {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
	}
	return buf
}

// halfToFloat32 widens an IEEE 754 binary16 value; every one is exact in
// float32.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch exp {
	case 0x1f: // Inf or NaN; the payload moves to the top of float32's mantissa
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case 0: // zero or subnormal: mant × 2⁻²⁴
		f := float32(mant) / (1 << 24)
		if sign != 0 {
			f = -f
		}
		return f
	default: // rebias the exponent from 15 to 127
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
}

// marshalJSON encodes v without HTML escaping, so the copy people read shows
// "<" as "<"; indent "" gives compact output. The result ends in a newline.
func marshalJSON(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// metaPath is where Save writes the readable copy of the metadata.
func metaPath(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".json"
}

// formatError is an ErrFormat with the file and the reason, worded without
// repeating the package prefix that ErrFormat's own text carries.
type formatError struct {
	path   string
	reason string
}

func (e *formatError) Error() string {
	return "checkpoint: " + e.path + ": not a valid checkpoint: " + e.reason
}

func (e *formatError) Unwrap() error { return ErrFormat }

// fileError wraps an os error with the path once, not twice: os errors
// already carry the path, and errors.Is(err, fs.ErrNotExist) still works.
func fileError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return fmt.Errorf("checkpoint: %s: %s: %w", path, pe.Op, pe.Err)
	}
	return fmt.Errorf("checkpoint: %s: %w", path, err)
}

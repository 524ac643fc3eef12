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
	"os"
	"path/filepath"
	"slices"
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

	err = atomicfile.Write(path, 0o644, func(w io.Writer) error {
		return safetensors.SerializeToWriter(views, headerMeta, w)
	})
	if err != nil {
		return fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(sidecar, indented, 0o644); err != nil {
		return fmt.Errorf("checkpoint: %s: weights saved, but not the metadata copy: %w", path, err)
	}
	return nil
}

// Load reads the tensors of the safetensors file at path, sorted by name.
// F32 tensors load as they are; F64, F16 and BF16 tensors are converted to
// float32 (F64 values beyond float32's range become ±Inf); any other dtype is
// an error naming the tensor and its dtype.
//
// If meta is non-nil, the JSON stored by Save is unmarshalled into it; a
// file without that metadata is then an error wrapping ErrFormat. A file
// that is not well-formed safetensors is an error wrapping ErrFormat.
func Load(path string, meta any) ([]Tensor, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	headerLen, header, err := readHeader(buf)
	if err != nil {
		return nil, &formatError{path: path, reason: err.Error()}
	}
	data := buf[8+headerLen:]

	infos := header.Tensors()
	names := make([]string, 0, len(infos))
	for name := range infos {
		names = append(names, name)
	}
	slices.Sort(names)
	tensors := make([]Tensor, 0, len(names))
	for _, name := range names {
		t, err := decode(path, name, infos[name], data)
		if err != nil {
			return nil, err
		}
		tensors = append(tensors, t)
	}

	if meta != nil {
		text, ok := header.Metadata()[metaKey]
		if !ok {
			return nil, &formatError{path: path, reason: fmt.Sprintf("no %q entry in the header's %s", metaKey, headerMetaKey)}
		}
		if !json.Valid([]byte(text)) {
			return nil, &formatError{path: path, reason: fmt.Sprintf("%s %q entry is not valid JSON", headerMetaKey, metaKey)}
		}
		if err := json.Unmarshal([]byte(text), meta); err != nil {
			return nil, fmt.Errorf("checkpoint: %s: metadata: %w", path, err)
		}
	}
	return tensors, nil
}

// readHeader parses and validates the header of a whole safetensors file.
// The library checks that the offsets tile the data exactly and that the
// file ends where the last tensor does; the recover is a second line of
// defence, so that a library bug on hostile input is an error, not a crash.
func readHeader(buf []byte) (headerLen uint64, header safetensors.Metadata, err error) {
	// The two commonest damages, an empty or cut-short file, get plainer
	// words than the library's.
	if len(buf) < 8 {
		return 0, header, fmt.Errorf("%d bytes, too short to hold the 8-byte header length", len(buf))
	}
	if n := binary.LittleEndian.Uint64(buf); n > uint64(len(buf)-8) {
		return 0, header, fmt.Errorf("header length %d runs past the end of the %d-byte file", n, len(buf))
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed header: %v", r)
		}
	}()
	headerLen, header, err = safetensors.ReadMetadata(buf)
	if err != nil && err.Error() == "metadata incomplete buffer" {
		err = errors.New("the tensors' data does not end where the file does (truncated, or bytes after the last tensor)")
	}
	return headerLen, header, err
}

// decode converts one tensor's bytes to a float32 Tensor, checking the
// offsets and shape itself rather than trusting the header.
func decode(path, name string, info *safetensors.TensorInfo, data []byte) (Tensor, error) {
	bad := func(format string, args ...any) error {
		return &formatError{path: path, reason: fmt.Sprintf("tensor %q: ", name) + fmt.Sprintf(format, args...)}
	}
	start, end := info.DataOffsets[0], info.DataOffsets[1]
	if start > end || end > uint64(len(data)) {
		return Tensor{}, bad("data offsets [%d, %d] outside the %d data bytes", start, end, len(data))
	}
	raw := data[start:end]
	shape := make([]int, len(info.Shape))
	for i, d := range info.Shape {
		if d > math.MaxInt {
			return Tensor{}, bad("dimension %d too large", d)
		}
		shape[i] = int(d)
	}

	var size int
	var convert func([]byte) float32
	switch info.DType {
	case safetensors.F32:
		size, convert = 4, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }
	case safetensors.F64:
		size, convert = 8, func(b []byte) float32 { return float32(math.Float64frombits(binary.LittleEndian.Uint64(b))) }
	case safetensors.F16:
		size, convert = 2, func(b []byte) float32 { return halfToFloat32(binary.LittleEndian.Uint16(b)) }
	case safetensors.BF16:
		size, convert = 2, func(b []byte) float32 { return math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16) }
	default:
		return Tensor{}, fmt.Errorf("checkpoint: %s: tensor %q has dtype %s; only F32, F64, F16 and BF16 load as float32", path, name, info.DType)
	}
	if len(raw)%size != 0 {
		return Tensor{}, bad("%d bytes is not a whole number of %s values", len(raw), info.DType)
	}
	values := make([]float32, len(raw)/size)
	if err := checkShape(shape, len(values)); err != nil {
		return Tensor{}, bad("%v", err)
	}
	for i := range values {
		values[i] = convert(raw[i*size:])
	}
	return Tensor{Name: name, Shape: shape, Data: values}, nil
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

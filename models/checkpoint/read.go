package checkpoint

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"slices"
	"strings"

	"github.com/nlpodyssey/safetensors"
)

// MaxHeaderLen is the largest JSON header Load reads. The format allows
// 100 MB; a checkpoint of this project needs a few kilobytes and the
// largest models' a few hundred, and parsing costs several times the
// header's size, so a header claiming more is refused before it is read.
const MaxHeaderLen = 16 << 20

// readChunk is how many bytes of tensor data Load converts at a time.
const readChunk = 64 << 10

// Load reads the tensors of the safetensors file at path, sorted by name.
// F32 tensors load as they are; F64, F16 and BF16 tensors are converted to
// float32 (F64 values beyond float32's range become ±Inf); any other dtype is
// an error naming the tensor and its dtype.
//
// If meta is non-nil, the JSON stored by Save is unmarshalled into it; a
// file without that metadata is then an error wrapping ErrFormat. A file
// that is not well-formed safetensors is an error wrapping ErrFormat.
//
// Load reads the file as a stream and checks the header against the
// file's size before reading the data, so what it allocates is bounded by
// what the file holds: the header (at most MaxHeaderLen bytes, parsed), and
// the float32 values, at most twice the data's size (F16 and BF16 widen).
// A header claiming a terabyte, or a billion tensors, in a small file is
// refused before anything is allocated for them.
func Load(path string, meta any) ([]Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fileError(path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, &formatError{path: path, reason: "not a regular file"}
	}
	return read(path, f, info.Size(), meta)
}

// read is Load of the size bytes of r; path names them in errors.
func read(path string, r io.Reader, size int64, meta any) ([]Tensor, error) {
	bad := func(format string, args ...any) error {
		return &formatError{path: path, reason: fmt.Sprintf(format, args...)}
	}
	// The two commonest damages, an empty or cut-short file, get plain words.
	if size < 8 {
		return nil, bad("%d bytes, too short to hold the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, readError(path, err)
	}
	headerLen := binary.LittleEndian.Uint64(lenBuf[:])
	dataLen := uint64(size) - 8
	switch {
	case headerLen > dataLen:
		return nil, bad("header length %d runs past the end of the %d-byte file", headerLen, size)
	case headerLen > MaxHeaderLen:
		return nil, bad("header of %d bytes, over the limit of %d", headerLen, MaxHeaderLen)
	}
	dataLen -= headerLen
	text := make([]byte, headerLen)
	if _, err := io.ReadFull(r, text); err != nil {
		return nil, readError(path, err)
	}
	header, err := parseHeader(text, dataLen)
	if err != nil {
		return nil, bad("%v", err)
	}

	// header.entries are in the order of their data: read straight through.
	tensors := make([]Tensor, 0, len(header.entries))
	chunk := make([]byte, min(readChunk, dataLen))
	for _, e := range header.entries {
		t, err := e.read(r, chunk)
		if err != nil {
			var de *dtypeError
			if errors.As(err, &de) {
				return nil, fmt.Errorf("checkpoint: %s: tensor %q has dtype %s; only F32, F64, F16 and BF16 load as float32", path, e.name, de.dtype)
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, bad("tensor %q: the file ends inside its data", e.name)
			}
			return nil, fileError(path, err)
		}
		tensors = append(tensors, t)
	}
	slices.SortFunc(tensors, func(a, b Tensor) int { return strings.Compare(a.Name, b.Name) })

	if meta != nil {
		text, ok := header.meta[metaKey]
		if !ok {
			return nil, bad("no %q entry in the header's %s", metaKey, headerMetaKey)
		}
		if !json.Valid([]byte(text)) {
			return nil, bad("%s %q entry is not valid JSON", headerMetaKey, metaKey)
		}
		if err := json.Unmarshal([]byte(text), meta); err != nil {
			return nil, fmt.Errorf("checkpoint: %s: metadata: %w", path, err)
		}
	}
	return tensors, nil
}

// readError words a failure to read the header: a file that ends early
// is malformed, anything else is the file system's error.
func readError(path string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &formatError{path: path, reason: "the file ends inside its header"}
	}
	return fileError(path, err)
}

// header is a parsed and checked safetensors header.
type header struct {
	meta    map[string]string
	entries []entry // in the order of their data, which tiles the data exactly
}

// entry is one tensor of the header, with its size worked out.
type entry struct {
	name   string
	dtype  safetensors.DType
	shape  []int
	values int    // the product of shape
	bytes  uint64 // values × the dtype's size
}

// parseHeader parses a header and checks it against the dataLen bytes
// after it: every shape's values fit its byte range without overflow, and
// the ranges, in order, cover the data from its first byte to its last
// with neither gap nor overlap.
func parseHeader(text []byte, dataLen uint64) (h header, err error) {
	defer func() {
		// A second line of defence: the library's parser must not turn
		// hostile input into a crash.
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed header: %v", r)
		}
	}()
	var md safetensors.Metadata
	if err := json.Unmarshal(text, &md); err != nil {
		return h, fmt.Errorf("invalid header: %w", err)
	}
	infos := md.Tensors()
	h.meta = md.Metadata()
	h.entries = make([]entry, 0, len(infos))
	ranges := make(map[string][2]uint64, len(infos))
	for name, info := range infos {
		e := entry{name: name, dtype: info.DType, shape: make([]int, len(info.Shape)), values: 1}
		// Multiplying all dimensions first would overflow on a shape
		// such as [2^32, 2^32, 0]; a zero anywhere empties the tensor.
		zero := slices.Contains(info.Shape, 0)
		for i, d := range info.Shape {
			if d > math.MaxInt32 {
				return h, fmt.Errorf("tensor %q: dimension %d too large", name, d)
			}
			e.shape[i] = int(d)
			if zero {
				continue
			}
			hi, lo := bits.Mul64(uint64(e.values), d)
			if hi != 0 || lo > math.MaxInt32*4 {
				return h, fmt.Errorf("tensor %q: shape %v holds too many values", name, info.Shape)
			}
			e.values = int(lo)
		}
		if zero {
			e.values = 0
		}
		e.bytes = uint64(e.values) * info.DType.Size()
		start, end := info.DataOffsets[0], info.DataOffsets[1]
		if end < start || end-start != e.bytes {
			return h, fmt.Errorf("tensor %q: data offsets [%d, %d] do not hold its shape %v of %s (%d bytes)",
				name, start, end, info.Shape, info.DType, e.bytes)
		}
		ranges[name] = info.DataOffsets
		h.entries = append(h.entries, e)
	}
	slices.SortFunc(h.entries, func(a, b entry) int {
		ra, rb := ranges[a.name], ranges[b.name]
		return cmp.Or(cmp.Compare(ra[0], rb[0]), cmp.Compare(ra[1], rb[1]), strings.Compare(a.name, b.name))
	})
	var end uint64
	for _, e := range h.entries {
		r := ranges[e.name]
		if r[0] != end {
			if r[0] > dataLen {
				return h, fmt.Errorf("tensor %q: data offsets [%d, %d] outside the %d data bytes", e.name, r[0], r[1], dataLen)
			}
			return h, fmt.Errorf("tensor %q: data offsets [%d, %d] leave a gap or overlap another tensor", e.name, r[0], r[1])
		}
		end = r[1]
		if end > dataLen {
			return h, fmt.Errorf("tensor %q: data offsets [%d, %d] outside the %d data bytes", e.name, r[0], r[1], dataLen)
		}
	}
	if end != dataLen {
		return h, errors.New("the tensors' data does not end where the file does (truncated, or bytes after the last tensor)")
	}
	return h, nil
}

// dtypeError is a tensor of a dtype that does not load as float32.
type dtypeError struct{ dtype safetensors.DType }

func (e *dtypeError) Error() string { return "dtype " + e.dtype.String() }

// read reads e's bytes from r, chunk by chunk, converting them to float32.
func (e entry) read(r io.Reader, chunk []byte) (Tensor, error) {
	var size int
	var convert func([]byte) float32
	switch e.dtype {
	case safetensors.F32:
		size, convert = 4, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }
	case safetensors.F64:
		size, convert = 8, func(b []byte) float32 { return float32(math.Float64frombits(binary.LittleEndian.Uint64(b))) }
	case safetensors.F16:
		size, convert = 2, func(b []byte) float32 { return halfToFloat32(binary.LittleEndian.Uint16(b)) }
	case safetensors.BF16:
		size, convert = 2, func(b []byte) float32 { return math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16) }
	default:
		return Tensor{}, &dtypeError{e.dtype}
	}
	values := make([]float32, e.values)
	chunk = chunk[:len(chunk)/size*size]
	for done := 0; done < len(values); {
		n := min(len(chunk)/size, len(values)-done)
		buf := chunk[:n*size]
		if _, err := io.ReadFull(r, buf); err != nil {
			return Tensor{}, err
		}
		for i := range n {
			values[done+i] = convert(buf[i*size:])
		}
		done += n
	}
	return Tensor{Name: e.name, Shape: e.shape, Data: values}, nil
}

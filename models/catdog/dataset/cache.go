package dataset

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/neurone-dl/neurone/internal/atomicfile"
)

// The decoded-image cache.
//
// One file per folder and preprocessing setting, named by a hash of the
// folder's absolute path, Side, Crop and Channels, holds every candidate file's
// identity (path relative to the folder, size, modification time) with its
// label and either its pixels or the reason it was skipped. A load reuses
// the entries whose identity still matches and decodes the rest.
//
// The file is
//
//	cacheMagic | version (uint32, big-endian) | gob stream | SHA-256 of all before it
//
// where the gob stream is a cacheHeader followed by cacheHeader.Count
// cacheEntry values. It is written atomically. A file that is missing,
// truncated, fails its checksum, has another version, or was made for
// another folder or settings (including another MaxPixels, which decides
// what is refused as too large) is ignored and rewritten: the cache can
// make a load faster, never wrong, and never fail it. Failing to write it
// is not an error either.
const (
	cacheMagic = "neurone/dataset image cache\n"
	// cacheVersion changes whenever the file layout or the preprocessing
	// (grayscale conversion, crop, resize filter) changes, so that pixels
	// made the old way are not reused: the file keeps its name, fails the
	// version check and is rewritten. Version 2 turns JPEGs upright by
	// their EXIF orientation; version 1 ignored it.
	cacheVersion uint32 = 2
)

// cacheHeader is the first value in a cache file's gob stream.
type cacheHeader struct {
	Dir       string // absolute path of the folder
	Side      int
	Crop      bool
	Channels  int // 0 in files older than the field, which hold Grayscale images
	MaxPixels int
	Count     int // number of cacheEntry values that follow
}

// cacheEntry is one candidate file.
type cacheEntry struct {
	Rel      string
	Size     int64
	ModTime  int64
	Label    uint8
	Pixels   []byte // Channels*Side*Side values; empty for a skipped file
	SkipKind string // the fileError kind for a skipped file; "" for a loaded one
	SkipMsg  string // the skipped file's full error message
}

// skipError rebuilds the error a skipped file was recorded with, so that
// it reads and counts (Report.Summary) as it did when the file was decoded.
func (e *cacheEntry) skipError() error {
	prefix := e.SkipKind + ": "
	if len(e.SkipMsg) > len(prefix) && e.SkipMsg[:len(prefix)] == prefix {
		return &fileError{e.SkipKind, errors.New(e.SkipMsg[len(prefix):])}
	}
	return &fileError{kind: e.SkipKind}
}

// imageCache is the cache for one LoadFolder call. A nil *imageCache, used
// when caching is off or the folder's absolute path is unknown, finds
// nothing and writes nothing.
type imageCache struct {
	path    string
	header  cacheHeader
	entries map[string]*cacheEntry // by Rel; empty when the file was unusable
}

// openCache returns the cache for dir and opt, with the entries of its file
// when that file is valid.
func openCache(dir string, opt Options) *imageCache {
	if opt.CacheDir == "" {
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	channels := max(opt.Channels, Grayscale)
	name := fmt.Appendf(nil, "%s\x00side=%d\x00crop=%t", abs, opt.Side, opt.Crop)
	if channels != Grayscale {
		// Grayscale caches keep the names they had before colour.
		name = fmt.Appendf(name, "\x00channels=%d", channels)
	}
	key := sha256.Sum256(name)
	c := &imageCache{
		path:   filepath.Join(opt.CacheDir, fmt.Sprintf("images-%x.cache", key[:12])),
		header: cacheHeader{Dir: abs, Side: opt.Side, Crop: opt.Crop, Channels: channels, MaxPixels: opt.MaxPixels},
	}
	c.entries, _ = readCache(c.path, c.header)
	return c
}

// lookup returns the cached entry for c if its identity still matches.
func (ic *imageCache) lookup(c candidate) *cacheEntry {
	if ic == nil {
		return nil
	}
	e := ic.entries[c.rel]
	if e == nil || e.Size != c.size || e.ModTime != c.modTime || e.Label != c.label {
		return nil
	}
	return e
}

// stale reports whether the cache file should be rewritten: something was
// decoded, or files were removed since it was written.
func (ic *imageCache) stale(decoded, candidates int) bool {
	return ic != nil && (decoded > 0 || len(ic.entries) != candidates)
}

// write replaces the cache file with the outcome of a load: for each of
// cands, its error from errs or, when that is nil, its pixels, which are
// the next image of set. Failure is ignored: the next load decodes again.
func (ic *imageCache) write(set *Set, cands []candidate, errs []error) {
	if os.MkdirAll(filepath.Dir(ic.path), 0o755) != nil {
		return
	}
	h := ic.header
	h.Count = len(cands)
	atomicfile.Write(ic.path, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		sum := sha256.New()
		out := io.MultiWriter(bw, sum)
		io.WriteString(out, cacheMagic)
		binary.Write(out, binary.BigEndian, cacheVersion)
		enc := gob.NewEncoder(out)
		if err := enc.Encode(h); err != nil {
			return err
		}
		k := 0
		for i, c := range cands {
			e := cacheEntry{Rel: c.rel, Size: c.size, ModTime: c.modTime, Label: c.label}
			if errs[i] != nil {
				e.SkipKind, e.SkipMsg = errorKind(errs[i]), errs[i].Error()
			} else {
				e.Pixels = set.Image(k)
				k++
			}
			if err := enc.Encode(&e); err != nil {
				return err
			}
		}
		bw.Write(sum.Sum(nil))
		return bw.Flush()
	})
}

// readCache reads and checks a cache file, returning its entries only when
// it is intact and made for want (Count aside).
func readCache(path string, want cacheHeader) (entries map[string]*cacheEntry, err error) {
	defer func() {
		// gob is given only checksummed bytes, and FuzzReadCache feeds
		// parseCache what a checksum cannot stop, but a cache must never
		// take a load down.
		if p := recover(); p != nil {
			entries, err = nil, fmt.Errorf("dataset: reading cache %s: %v", path, p)
		}
	}()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseCache(path, data, want)
}

// minEntryBytes is the length of the shortest gob message of a
// cacheEntry (all fields zero), so that a header's Count can be checked
// against the bytes that follow it.
const minEntryBytes = 3

// parseCache checks the bytes of a cache file and returns its entries
// when it is intact and made for want (Count aside). It allocates in
// proportion to data, whatever the header claims.
func parseCache(path string, data []byte, want cacheHeader) (map[string]*cacheEntry, error) {
	head := len(cacheMagic) + 4
	if len(data) < head+sha256.Size || string(data[:len(cacheMagic)]) != cacheMagic {
		return nil, fmt.Errorf("dataset: %s is not an image cache", path)
	}
	if v := binary.BigEndian.Uint32(data[len(cacheMagic):]); v != cacheVersion {
		return nil, fmt.Errorf("dataset: %s is cache version %d, not %d", path, v, cacheVersion)
	}
	body := data[:len(data)-sha256.Size]
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], data[len(body):]) {
		return nil, fmt.Errorf("dataset: %s fails its checksum", path)
	}

	dec := gob.NewDecoder(bytes.NewReader(body[head:]))
	var h cacheHeader
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", path, err)
	}
	h.Channels = max(h.Channels, Grayscale)
	if h.Dir != want.Dir || h.Side != want.Side || h.Crop != want.Crop || h.Channels != max(want.Channels, Grayscale) ||
		h.MaxPixels != want.MaxPixels || h.Count < 0 {
		return nil, fmt.Errorf("dataset: %s was made for other settings", path)
	}
	if h.Count > len(body)/minEntryBytes {
		return nil, fmt.Errorf("dataset: %s claims %d entries in %d bytes", path, h.Count, len(body))
	}
	// The map grows with the entries decoded, each of which takes bytes
	// of data; only its first buckets are made on the header's word.
	entries := make(map[string]*cacheEntry, min(h.Count, 1<<12))
	for range h.Count {
		e := new(cacheEntry) // a fresh value: gob leaves zero fields untouched
		if err := dec.Decode(e); err != nil {
			return nil, fmt.Errorf("dataset: %s: %w", path, err)
		}
		loaded := e.SkipKind == "" && len(e.Pixels) == h.Channels*h.Side*h.Side
		skipped := e.SkipKind != "" && len(e.Pixels) == 0
		if !loaded && !skipped || e.Label > Cat {
			return nil, fmt.Errorf("dataset: %s: bad entry for %s", path, e.Rel)
		}
		entries[e.Rel] = e
	}
	return entries, nil
}

package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"image/color"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// fuzzOptions keep each decode small: a 16×16 result, and images of at
// most 2^16 pixels, so that what a header may make the decoder allocate
// stays under decodeAllocBound.
var fuzzOptions = Options{Side: 16, MaxPixels: 1 << 16}

// decodeAllocBound is what one decode under fuzzOptions may allocate: the
// decoded image at up to 8 bytes a pixel (16-bit RGBA), a JPEG's
// coefficients (4 bytes a sample, 3 samples a pixel), the gray copy and
// its turned copy, with room for the decoders' tables, several times over.
const decodeAllocBound = 64*(1<<16) + 4<<20

// FuzzDecode feeds the photo decoder images of every format it reads,
// written by the encoders the tests use (JPEG with and without an EXIF
// orientation, PNG, GIF, BMP), the WebP and CMYK files of testdata, and
// the damaged files the decode tests use. Whatever the bytes, Decode must
// return Side×Side pixels or an error, without a decoder crashing (which
// decodeSafely would hide), and allocate less than decodeAllocBound.
func FuzzDecode(f *testing.F) {
	small := noisy(12, 9, 1)
	for _, format := range []string{"png", "jpeg", "gif", "bmp"} {
		f.Add(encode(f, format, small), false)
	}
	f.Add(encode(f, "png", solid(3, 5, color.NRGBA{10, 200, 30, 128})), true)
	for _, o := range []uint16{3, 6, 8} {
		f.Add(exifJPEG(f, quadrants(8, 6), binary.LittleEndian, o), o == 6)
	}
	f.Add(exifJPEG(f, quadrants(8, 6), binary.BigEndian, 5), true)
	for _, name := range []string{"gopher-doc.1bpp.lossless.webp", "video-001.cmyk.jpeg"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, false)
	}
	f.Add(bombPNG(1<<20, 1<<20), false)
	f.Add(truncatedJPEG(f), false)
	f.Add(zeroSizeGIF(), false)
	f.Add([]byte{}, false)

	f.Fuzz(func(t *testing.T, data []byte, crop bool) {
		opt := fuzzOptions
		opt.Crop = crop
		opt, err := opt.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		pix, err := decodeSafely(bytes.NewReader(data), opt, nil)
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > decodeAllocBound {
			t.Fatalf("decoding %d bytes allocated %d bytes, over %d", len(data), got, decodeAllocBound)
		}
		if err != nil {
			var fe *fileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a fileError", err)
			}
			if fe.kind == kindPanic {
				t.Fatalf("a decoder crashed: %v", err)
			}
			return
		}
		if len(pix) != opt.Side*opt.Side {
			t.Fatalf("%d pixels, want %d", len(pix), opt.Side*opt.Side)
		}
	})
}

// cacheSeed returns a cache file as imageCache.write makes it, for a
// folder "/photos" of two loaded images and one skipped file, Side 4, and
// the header readers must match.
func cacheSeed(t testing.TB) ([]byte, cacheHeader) {
	dir := t.TempDir()
	want := cacheHeader{Dir: "/photos", Side: 4, MaxPixels: defaultMaxPixels}
	ic := &imageCache{path: filepath.Join(dir, "images.cache"), header: want}
	set := &Set{Side: 4, Pixels: make([]uint8, 2*16), Labels: []uint8{Cat, Dog}}
	for i := range set.Pixels {
		set.Pixels[i] = uint8(i * 7)
	}
	cands := []candidate{
		{rel: "cat/1.jpg", label: Cat, size: 1234, modTime: 1e18},
		{rel: "cat/2.png", label: Cat, size: 0, modTime: 2e18},
		{rel: "dog/1.gif", label: Dog, size: 99, modTime: 3e18},
	}
	errs := []error{nil, &fileError{kind: kindEmpty}, nil}
	ic.write(set, cands, errs)
	data, err := os.ReadFile(ic.path)
	if err != nil {
		t.Fatal(err)
	}
	if entries, err := parseCache(ic.path, data, want); err != nil || len(entries) != 3 {
		t.Fatalf("the seed cache reads back as %d entries, %v", len(entries), err)
	}
	return data, want
}

// FuzzReadCache feeds the decoded-image cache reader files derived from
// one the cache writer made. With fixSum the input is taken as everything
// before the checksum and given a matching one, so that the fuzzer reaches
// the gob decoding behind it (a damaged file fails its checksum; this is
// what a file written on purpose, or by a buggy writer, could hold). The
// reader must return entries or an error, never crash, and return only
// entries a load can use.
func FuzzReadCache(f *testing.F) {
	seed, want := cacheSeed(f)
	f.Add(seed, false)
	f.Add(seed[:len(seed)-sha256.Size], true)
	f.Add(seed[:len(seed)/2], true)
	f.Add(rewriteCacheVersion(f, seed, cacheVersion+1), false)
	f.Fuzz(func(t *testing.T, data []byte, fixSum bool) {
		if fixSum {
			sum := sha256.Sum256(data)
			data = append(data[:len(data):len(data)], sum[:]...)
		}
		entries, err := parseCache("fuzz.cache", data, want)
		if err != nil {
			return
		}
		if len(entries) > len(data)/minEntryBytes {
			t.Fatalf("%d entries from %d bytes", len(entries), len(data))
		}
		for rel, e := range entries {
			switch {
			case e.Rel != rel:
				t.Fatalf("entry %q filed under %q", e.Rel, rel)
			case e.Label > Cat:
				t.Fatalf("entry %q has label %d", rel, e.Label)
			case e.SkipKind == "" && len(e.Pixels) != want.Side*want.Side:
				t.Fatalf("loaded entry %q has %d pixels", rel, len(e.Pixels))
			case e.SkipKind != "" && len(e.Pixels) != 0:
				t.Fatalf("skipped entry %q has pixels", rel)
			}
			if e.SkipKind != "" && e.skipError() == nil {
				t.Fatalf("skipped entry %q gives no error", rel)
			}
		}
	})
}

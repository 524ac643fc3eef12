package dataset

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// cacheFolder makes a folder of 6 good images and 2 bad ones.
func cacheFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeImages(t, dir, "Cat/1.jpg", "Cat/2.png", "Cat/3.bmp", "Dog/1.jpg", "Dog/2.gif", "Dog/3.jpg")
	writeFile(t, dir, "Cat/bad.jpg", truncatedJPEG(t))
	writeFile(t, dir, "Dog/bomb.png", bombPNG(100000, 100000))
	return dir
}

// load runs loadFolder and checks its decode count.
func load(t *testing.T, dir string, opt Options, wantDecoded int) (*Set, *Report) {
	t.Helper()
	opt, err := opt.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	set, rep, decoded, err := loadFolder(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if decoded != wantDecoded {
		t.Errorf("decoded %d files, want %d", decoded, wantDecoded)
	}
	if rep.FromCache != (wantDecoded == 0) {
		t.Errorf("FromCache = %v with %d files decoded", rep.FromCache, decoded)
	}
	return set, rep
}

// cacheFiles returns the cache files in dir.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.cache"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestCacheReusesDecodedImages(t *testing.T) {
	t.Parallel()
	dir := cacheFolder(t)
	opt := Options{Side: 10, Workers: 2, CacheDir: filepath.Join(t.TempDir(), "cache")}

	fresh, freshRep := load(t, dir, opt, 8)
	if len(cacheFiles(t, opt.CacheDir)) != 1 {
		t.Fatalf("cache folder holds %v, want one cache file", cacheFiles(t, opt.CacheDir))
	}
	cached, cachedRep := load(t, dir, opt, 0)
	if !reflect.DeepEqual(cached, fresh) {
		t.Error("the set from the cache differs from the decoded one")
	}
	if got, want := cachedRep.Summary(10), freshRep.Summary(10); got != want {
		t.Errorf("summary from the cache:\n%s\nwant:\n%s", got, want)
	}

	// A touched file is decoded again, alone.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "Dog/2.gif"), later, later); err != nil {
		t.Fatal(err)
	}
	touched, _ := load(t, dir, opt, 1)
	if !reflect.DeepEqual(touched, fresh) {
		t.Error("after touching a file the set differs")
	}
	load(t, dir, opt, 0)

	// A new file is decoded alone.
	writeImages(t, dir, "Dog/4.png")
	grown, rep := load(t, dir, opt, 1)
	if grown.Len() != fresh.Len()+1 || rep.Dogs != 4 {
		t.Errorf("after adding a dog: %d images, %d dogs", grown.Len(), rep.Dogs)
	}
	load(t, dir, opt, 0)

	// A removed file needs no decoding and leaves the set.
	if err := os.Remove(filepath.Join(dir, "Dog/4.png")); err != nil {
		t.Fatal(err)
	}
	shrunk, _ := load(t, dir, opt, 0)
	if !reflect.DeepEqual(shrunk, fresh) {
		t.Error("after removing the added file the set differs from the first")
	}

	// Other settings use another cache file.
	load(t, dir, Options{Side: 10, Crop: true, CacheDir: opt.CacheDir}, 8)
	if n := len(cacheFiles(t, opt.CacheDir)); n != 2 {
		t.Errorf("%d cache files after loading with Crop, want 2", n)
	}
	// A changed pixel limit changes what is refused, so it rebuilds: with
	// 510, the two 26x20 images go too.
	_, rep = load(t, dir, Options{Side: 10, CacheDir: opt.CacheDir, MaxPixels: 510}, 8)
	if len(rep.Skipped) != 4 {
		t.Errorf("with a pixel limit of 510, %d files were skipped, want 4: %s", len(rep.Skipped), rep.Summary(5))
	}
}

func TestCacheDamageIsIgnored(t *testing.T) {
	t.Parallel()
	dir := cacheFolder(t)
	opt := Options{Side: 10, CacheDir: t.TempDir()}
	want, _ := load(t, dir, opt, 8)
	path := cacheFiles(t, opt.CacheDir)[0]
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	flip := func(at int) func([]byte) []byte {
		return func(b []byte) []byte {
			b = append([]byte(nil), b...)
			b[at] ^= 0x40
			return b
		}
	}
	tests := []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"byte flipped in the pixels", flip(len(good) / 2)},
		{"byte flipped in the magic", flip(0)},
		{"byte flipped in the version", flip(len(cacheMagic) + 3)},
		{"byte flipped in the checksum", flip(len(good) - 1)},
		{"truncated", func(b []byte) []byte { return b[:len(b)*2/3] }},
		{"truncated to nothing", func(b []byte) []byte { return nil }},
		{"garbage", func(b []byte) []byte { return []byte("garbage") }},
		// Whole files, checksums and all, from other builds.
		{"written by an older version", func(b []byte) []byte { return rewriteCacheVersion(t, b, cacheVersion-1) }},
		{"written by a newer version", func(b []byte) []byte { return rewriteCacheVersion(t, b, cacheVersion+1) }},
	}
	for _, tc := range tests {
		// Not parallel: the cases share the cache file.
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, tc.damage(good), 0o644); err != nil {
				t.Fatal(err)
			}
			got, _ := load(t, dir, opt, 8)
			if !reflect.DeepEqual(got, want) {
				t.Error("the set differs from the one decoded without a cache")
			}
			// The load rewrote the cache, so the next one uses it.
			load(t, dir, opt, 0)
		})
	}
}

func TestCacheOfAnotherFolderIsIgnored(t *testing.T) {
	t.Parallel()
	dirA, dirB := cacheFolder(t), cacheFolder(t)
	cacheDir := t.TempDir()
	opt := Options{Side: 10, CacheDir: cacheDir}
	load(t, dirA, opt, 8)
	// Put A's cache where B's would be: it must be recognised as A's.
	a := cacheFiles(t, cacheDir)[0]
	data, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(a)
	b := openCache(dirB, opt).path
	if err := os.WriteFile(b, data, 0o644); err != nil {
		t.Fatal(err)
	}
	load(t, dirB, opt, 8)
}

func TestCacheThatCannotBeWrittenIsNoError(t *testing.T) {
	t.Parallel()
	dir := cacheFolder(t)
	// A folder cannot be made under a regular file, even by root.
	blocker := writeFile(t, t.TempDir(), "file", []byte("x"))
	opt := Options{Side: 10, CacheDir: filepath.Join(blocker, "cache")}
	load(t, dir, opt, 8)
	load(t, dir, opt, 8)
}

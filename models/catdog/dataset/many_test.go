package dataset

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// manyFiles is how many files TestManyFiles lists: 100,000, the size of a
// large photo folder (PetImages holds 25,000), or 10,000 with -short.
func manyFiles() int {
	if testing.Short() {
		return 10_000
	}
	return 100_000
}

// TestManyFiles lists a folder of manyFiles empty image files, and loads
// it as cat and dog class folders, measuring the memory each holds
// afterwards: listing holds the names (under 256 bytes a file); loading
// holds a report line a file, at most a Side×Side result a file, and no
// decoded image (the empty files are refused before decoding; what a
// decoder may allocate is FuzzDecode's to bound). It takes about 10 s
// (2 s with -short), most of it making the files.
func TestManyFiles(t *testing.T) {
	n := manyFiles()
	dir := t.TempDir()
	for _, class := range []string{"cat", "dog"} {
		if err := os.Mkdir(filepath.Join(dir, class), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		class := []string{"cat", "dog"}[i%2]
		f, err := os.Create(filepath.Join(dir, class, fmt.Sprintf("%06d.jpg", i)))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}

	// retained returns how much more memory the heap holds after do.
	retained := func(do func()) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		do()
		runtime.GC()
		runtime.ReadMemStats(&after)
		return max(after.HeapAlloc, before.HeapAlloc) - before.HeapAlloc
	}
	var paths []string
	var err error
	listing := retained(func() { paths, err = ListImages(dir) })
	if err != nil || len(paths) != n {
		t.Fatalf("ListImages: %d paths, %v; want %d", len(paths), err, n)
	}
	if perFile := listing / uint64(n); perFile > 256 {
		t.Errorf("listing holds %d bytes a file", perFile)
	}

	const side = 8
	var rep *Report
	loading := retained(func() {
		_, rep, err = LoadFolder(dir, Options{Side: side, Workers: 2})
	})
	if !errors.Is(err, ErrNoImages) || len(rep.Skipped) != n || !strings.Contains(rep.Summary(0), fmt.Sprintf("%d empty file", n)) {
		t.Fatalf("LoadFolder: %v; %s", err, rep.Summary(1))
	}
	if perFile := loading / uint64(n); perFile > side*side+512 {
		t.Errorf("loading holds %d bytes a file", perFile)
	}
	t.Logf("%d files: listing holds %d bytes a file, loading %d", n, listing/uint64(n), loading/uint64(n))
}

// TestListImagesPastBadLinks lists a folder holding a link to itself and
// a link to nowhere beside images: the images are listed, and the error
// names each bad link.
func TestListImagesPastBadLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeImages(t, dir, "a.png", "b/c.jpg")
	for link, target := range map[string]string{"self.jpg": "self.jpg", "gone.png": "missing.png", "b/up": ".."} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	paths, err := ListImages(dir)
	if want := []string{filepath.Join(dir, "a.png"), filepath.Join(dir, "b/c.jpg")}; !slices.Equal(paths, want) {
		t.Errorf("ListImages = %v, want %v", paths, want)
	}
	for _, name := range []string{"self.jpg", "gone.png"} {
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, name)) {
			t.Errorf("the error %v does not name %s", err, name)
		}
	}
}

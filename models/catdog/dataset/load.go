package dataset

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// ErrNoImages is returned, wrapped with the folder and what was found
// there, when a folder holds no usable images, or none of one class.
var ErrNoImages = errors.New("dataset: no images")

// Skipped is one file that could not be used, and why.
type Skipped struct {
	Path string // the file, joined to the folder given to LoadFolder
	Err  error  // the problem; its message starts with its kind ("corrupt JPEG: ...")
}

// Report describes what LoadFolder found.
type Report struct {
	Dir       string
	Layout    string    // "class folders" or "flat (cat.N.jpg)"
	Cats      int       // cat images loaded
	Dogs      int       // dog images loaded
	Skipped   []Skipped // files that were not usable, in path order
	FromCache bool      // true when every image came from the cache
}

// Summary describes the skipped files in one line: how many, how many of
// each kind of problem, and the first maxPaths of them with their reasons,
// e.g. "skipped 3 files (2 corrupt JPEG, 1 empty file): Cat/1.jpg: corrupt
// JPEG: unexpected EOF; ...; and 1 more". Paths are shown relative to Dir.
// It returns "" when nothing was skipped.
func (r *Report) Summary(maxPaths int) string {
	if r == nil || len(r.Skipped) == 0 {
		return ""
	}
	perKind := map[string]int{}
	for _, s := range r.Skipped {
		perKind[errorKind(s.Err)]++
	}
	kinds := make([]string, 0, len(perKind))
	for k := range perKind {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if perKind[kinds[i]] != perKind[kinds[j]] {
			return perKind[kinds[i]] > perKind[kinds[j]]
		}
		return kinds[i] < kinds[j]
	})
	counts := make([]string, len(kinds))
	for i, k := range kinds {
		counts[i] = fmt.Sprintf("%d %s", perKind[k], k)
	}

	var b strings.Builder
	n := len(r.Skipped)
	fmt.Fprintf(&b, "skipped %d %s (%s)", n, plural(n, "file", "files"), strings.Join(counts, ", "))
	shown := min(max(maxPaths, 0), n)
	for i, s := range r.Skipped[:shown] {
		sep := "; "
		if i == 0 {
			sep = ": "
		}
		fmt.Fprintf(&b, "%s%s: %v", sep, r.relPath(s.Path), s.Err)
	}
	if shown > 0 && shown < n {
		fmt.Fprintf(&b, "; and %d more", n-shown)
	}
	return b.String()
}

// relPath returns path relative to r.Dir when it lies inside it.
func (r *Report) relPath(path string) string {
	rel, err := filepath.Rel(r.Dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// LoadFolder reads every cat and dog photo under dir into a Set, in path
// order, preprocessed as opt says.
//
// Two layouts are recognised: class folders (dir/cat and dir/dog in any
// letter case, plural names too, with images at any depth inside, as in
// Microsoft's PetImages), and Kaggle's flat folder of cat.N.jpg and
// dog.N.jpg files. Class folders win when both are present. Candidates are
// picked by extension (.jpg, .jpeg, .png, .gif, .bmp, .webp, in any case);
// other files, and names starting with "." or "__MACOSX", are ignored.
//
// A file that cannot be used (corrupt, empty, not an image, a decompression
// bomb, a crashing decoder) is left out and listed in Report.Skipped; it
// never stops the run. It is an error, wrapping ErrNoImages, when no cat or
// no dog image can be used. On error the Report, when not nil, says what was
// found.
//
// Images are decoded by opt.Workers goroutines. With opt.CacheDir set, the
// outcome for every file (pixels, or why it was skipped) is kept in a cache
// file there, one per folder and Side/Crop/Channels setting, and a later call
// decodes only the files whose path, size or modification time changed. A
// damaged or outdated cache file is ignored and rewritten, and failing to
// write one is not an error.
func LoadFolder(dir string, opt Options) (*Set, *Report, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	set, rep, _, err := loadFolder(dir, opt)
	return set, rep, err
}

// loadFolder is LoadFolder with opt's defaults set. It also returns how
// many files it decoded, which the cache tests check.
func loadFolder(dir string, opt Options) (*Set, *Report, int, error) {
	found, err := findCandidates(dir)
	if err != nil {
		return nil, nil, 0, err
	}
	rep := &Report{Dir: dir, Layout: found.layout}
	cands := found.files
	var cats, dogs int
	for _, c := range cands {
		if c.label == Cat {
			cats++
		} else {
			dogs++
		}
	}
	if cats == 0 || dogs == 0 {
		return nil, rep, 0, fmt.Errorf("%w: found %d cat images and %d dog images in %s%s; expected %s and %s folders or cat.N.jpg / dog.N.jpg files",
			ErrNoImages, cats, dogs, dir, found.describe(), filepath.Join(dir, "cat"), filepath.Join(dir, "dog"))
	}

	size := opt.Channels * opt.Side * opt.Side
	pixels := make([]uint8, len(cands)*size)
	errs := make([]error, len(cands))
	cache := openCache(dir, opt)
	var toDecode []int
	for i, c := range cands {
		slot := pixels[i*size : (i+1)*size]
		if e := cache.lookup(c); e != nil {
			if e.SkipKind != "" {
				errs[i] = e.skipError()
			} else {
				copy(slot, e.Pixels)
			}
			continue
		}
		toDecode = append(toDecode, i)
	}

	// Each worker writes only its own files' slots, so the result is in
	// path order whatever the scheduling.
	parallel(len(toDecode), opt.Workers, func(j int) {
		i := toDecode[j]
		slot := pixels[i*size : (i+1)*size]
		_, errs[i] = loadFile(filepath.Join(dir, cands[i].rel), opt, slot)
	})

	set := &Set{Side: opt.Side, Channels: opt.Channels}
	for i, c := range cands {
		path := filepath.Join(dir, c.rel)
		if errs[i] != nil {
			rep.Skipped = append(rep.Skipped, Skipped{Path: path, Err: errs[i]})
			continue
		}
		n := len(set.Labels)
		copy(pixels[n*size:(n+1)*size], pixels[i*size:(i+1)*size])
		set.Labels = append(set.Labels, c.label)
		set.Paths = append(set.Paths, path)
	}
	set.Pixels = pixels[:len(set.Labels)*size]
	rep.Skipped = append(rep.Skipped, found.skipped...)
	slices.SortFunc(rep.Skipped, func(a, b Skipped) int { return strings.Compare(a.Path, b.Path) })
	rep.Cats, rep.Dogs = set.Counts()
	rep.FromCache = len(toDecode) == 0

	if cache.stale(len(toDecode), len(cands)) {
		cache.write(set, cands, errs)
	}
	if rep.Cats == 0 || rep.Dogs == 0 {
		return nil, rep, len(toDecode), fmt.Errorf("%w: %d cat and %d dog images in %s could be used; %s",
			ErrNoImages, rep.Cats, rep.Dogs, dir, rep.Summary(5))
	}
	return set, rep, len(toDecode), nil
}

// parallel calls work(0), ..., work(n-1) from up to workers goroutines.
func parallel(n, workers int, work func(i int)) {
	workers = min(workers, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				work(i)
			}
		})
	}
	wg.Wait()
}

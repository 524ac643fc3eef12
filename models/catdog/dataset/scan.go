package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Layout names, as Report.Layout gives them.
const (
	layoutClassFolders = "class folders"
	layoutFlat         = "flat (cat.N.jpg)"
)

// candidate is one image file that LoadFolder will try to use, with the
// identity the cache checks.
type candidate struct {
	rel     string // path relative to the folder
	label   uint8
	size    int64
	modTime int64 // nanoseconds since the Unix epoch
}

// scan is what findCandidates saw in a folder.
type scan struct {
	layout  string
	files   []candidate // sorted by rel
	skipped []Skipped   // entries that could not be read

	// For error messages: what the top level of the folder holds.
	folders    []string
	topImages  int
	otherFiles int
}

// describe says what the folder holds when no layout fits, as a
// parenthesised clause ready to follow the folder's name, or "".
func (s *scan) describe() string {
	var parts []string
	if n := len(s.folders); n > 0 {
		names := s.folders[:min(n, 5)]
		more := ""
		if n > 5 {
			more = fmt.Sprintf(", ... (%d more)", n-5)
		}
		parts = append(parts, fmt.Sprintf("%d %s: %s%s", n, plural(n, "folder", "folders"), strings.Join(names, ", "), more))
	}
	if s.topImages > 0 {
		parts = append(parts, fmt.Sprintf("%d image %s not named cat.N or dog.N", s.topImages, plural(s.topImages, "file", "files")))
	}
	if s.otherFiles > 0 {
		parts = append(parts, fmt.Sprintf("%d other %s", s.otherFiles, plural(s.otherFiles, "file", "files")))
	}
	if len(parts) == 0 {
		return " (it is empty)"
	}
	return " (it holds " + strings.Join(parts, ", ") + ")"
}

// classOf returns the label a class folder's name stands for.
func classOf(name string) (label uint8, ok bool) {
	switch strings.ToLower(name) {
	case "cat", "cats":
		return Cat, true
	case "dog", "dogs":
		return Dog, true
	}
	return 0, false
}

// flatClassOf returns the label of a Kaggle-style file name (cat.123.jpg).
func flatClassOf(name string) (label uint8, ok bool) {
	lower := strings.ToLower(name)
	switch {
	case strings.HasPrefix(lower, "cat."):
		return Cat, true
	case strings.HasPrefix(lower, "dog."):
		return Dog, true
	}
	return 0, false
}

// ignored reports whether a file or folder name is never looked at: hidden
// names (including macOS's "._x.jpg" resource forks, which are not images)
// and the __MACOSX folder that zip archives made on a Mac carry.
func ignored(name string) bool {
	return strings.HasPrefix(name, ".") || name == "__MACOSX"
}

// findCandidates lists the labelled image files in dir and picks the layout.
func findCandidates(dir string) (*scan, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: cannot read image folder %s: %w", dir, err)
	}
	s := &scan{}
	var classFiles, flatFiles []candidate
	for _, e := range entries {
		name := e.Name()
		if ignored(name) {
			continue
		}
		path := filepath.Join(dir, name)
		info, err := os.Stat(path) // follows links, so a linked class folder works
		if err != nil {
			s.skipped = append(s.skipped, Skipped{Path: path, Err: &fileError{kindUnreadable, err}})
			continue
		}
		switch {
		case info.IsDir():
			s.folders = append(s.folders, name)
			if label, ok := classOf(name); ok {
				walkImages(path, func(p string, info fs.FileInfo) {
					rel, _ := filepath.Rel(dir, p)
					classFiles = append(classFiles, newCandidate(rel, label, info))
				}, func(p string, err error) {
					s.skipped = append(s.skipped, Skipped{Path: p, Err: &fileError{kindUnreadable, err}})
				})
			}
		case !info.Mode().IsRegular():
			s.otherFiles++
		case isImageName(name):
			if label, ok := flatClassOf(name); ok {
				flatFiles = append(flatFiles, newCandidate(name, label, info))
			} else {
				s.topImages++
			}
		default:
			s.otherFiles++
		}
	}
	switch {
	case len(classFiles) > 0:
		s.layout, s.files = layoutClassFolders, classFiles
	case len(flatFiles) > 0:
		s.layout, s.files = layoutFlat, flatFiles
	}
	slices.SortFunc(s.files, func(a, b candidate) int { return strings.Compare(a.rel, b.rel) })
	return s, nil
}

func newCandidate(rel string, label uint8, info fs.FileInfo) candidate {
	return candidate{rel: rel, label: label, size: info.Size(), modTime: info.ModTime().UnixNano()}
}

// walkImages calls visit for every regular file with an image extension
// under root (following a link to a file, not to a folder, so a loop of
// links cannot trap it), and onErr for every entry it cannot read.
func walkImages(root string, visit func(path string, info fs.FileInfo), onErr func(path string, err error)) {
	// The trailing separator makes WalkDir follow root itself if it is a link.
	filepath.WalkDir(root+string(filepath.Separator), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			onErr(filepath.Clean(path), err)
			return nil // WalkDir skips an unreadable folder on its own
		}
		if path != root+string(filepath.Separator) && ignored(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !isImageName(d.Name()) {
			return nil
		}
		var info fs.FileInfo
		if d.Type()&fs.ModeSymlink != 0 {
			info, err = os.Stat(path)
		} else {
			info, err = d.Info()
		}
		if err != nil {
			onErr(path, err)
			return nil
		}
		if info.Mode().IsRegular() {
			visit(path, info)
		}
		return nil
	})
}

// ListImages returns the image files under dir, at any depth, sorted by
// path, chosen by extension (.jpg, .jpeg, .png, .gif, .bmp, .webp, in any
// case) as LoadFolder chooses them. When dir is itself an image file, it is
// the one result. It is an error, wrapping ErrNoImages, when there are none.
//
// Links to folders below dir are not followed, so a loop of links cannot
// trap it. Entries it cannot read (a link to nowhere, a link to itself, a
// folder it may not open) are named in an error, joined, returned beside
// the images it did find: one bad entry does not hide the rest. It holds
// the paths only, never an image: listing a folder of n files costs
// memory in proportion to their names.
func ListImages(dir string) ([]string, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: cannot read image folder %s: %w", dir, err)
	}
	if !info.IsDir() {
		if info.Mode().IsRegular() && isImageName(dir) {
			return []string{dir}, nil
		}
		return nil, fmt.Errorf("dataset: %s is neither a folder nor an image file (%s)", dir, strings.Join(imageExts, ", "))
	}
	var paths []string
	var errs []error
	walkImages(dir, func(path string, _ fs.FileInfo) {
		paths = append(paths, path)
	}, func(path string, err error) {
		errs = append(errs, fmt.Errorf("dataset: %s: %w", path, err))
	})
	if len(paths) == 0 && len(errs) == 0 {
		return nil, fmt.Errorf("%w: no %s files under %s", ErrNoImages, strings.Join(imageExts, ", "), dir)
	}
	slices.Sort(paths)
	return paths, errors.Join(errs...)
}

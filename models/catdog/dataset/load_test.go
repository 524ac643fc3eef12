package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestLoadFolderLayouts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		files      []string // images to write
		ignored    []string // other files, which must not count
		layout     string
		cats, dogs int
	}{
		{
			name: "PetImages class folders",
			files: []string{"Cat/0.jpg", "Cat/1.png", "Cat/2.gif", "Cat/more/3.BMP",
				"Dog/0.jpg", "Dog/1.JPEG", "Dog/2.png"},
			ignored: []string{"Cat/Thumbs.db", "Dog/readme.txt", "notes.txt", "Cat/._0.jpg"},
			layout:  layoutClassFolders, cats: 4, dogs: 3,
		},
		{
			name:    "plural lower-case class folders",
			files:   []string{"cats/a.jpg", "cats/b.jpg", "dogs/a.jpg"},
			ignored: []string{"cats/desktop.ini"},
			layout:  layoutClassFolders, cats: 2, dogs: 1,
		},
		{
			name:    "Kaggle flat folder",
			files:   []string{"cat.0.jpg", "cat.1.jpg", "Cat.2.png", "dog.0.jpg", "dog.10.jpg", "DOG.2.bmp", "dog.3.gif"},
			ignored: []string{"sample_submission.csv", "other.jpg"},
			layout:  layoutFlat, cats: 3, dogs: 4,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeImages(t, dir, tc.files...)
			for _, rel := range tc.ignored {
				writeFile(t, dir, rel, []byte("not an image"))
			}
			set, rep, err := LoadFolder(dir, Options{Side: 12, Workers: 3})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Layout != tc.layout || rep.Cats != tc.cats || rep.Dogs != tc.dogs || len(rep.Skipped) != 0 {
				t.Fatalf("report %+v, want layout %q, %d cats, %d dogs, nothing skipped", rep, tc.layout, tc.cats, tc.dogs)
			}
			if set.Len() != tc.cats+tc.dogs || set.Side != 12 || len(set.Pixels) != set.Len()*144 {
				t.Fatalf("set has %d images of side %d and %d pixels", set.Len(), set.Side, len(set.Pixels))
			}
			if !slices.IsSorted(set.Paths) {
				t.Errorf("paths are not sorted: %v", set.Paths)
			}
			for i, path := range set.Paths {
				if !strings.HasPrefix(path, dir) {
					t.Errorf("path %s is not under %s", path, dir)
				}
				rel := strings.ToLower(strings.TrimPrefix(path, dir))
				want := Dog
				if strings.HasPrefix(rel, "/cat") {
					want = Cat
				}
				if set.Labels[i] != want {
					t.Errorf("%s labelled %s", path, ClassNames[set.Labels[i]])
				}
				// Each image matches what LoadImage gives for its file.
				one, err := LoadImage(path, Options{Side: 12})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(one, set.Image(i)) {
					t.Errorf("%s: pixels differ from LoadImage", path)
				}
			}

			// The same set, whatever the number of workers.
			for _, workers := range []int{1, 7} {
				again, _, err := LoadFolder(dir, Options{Side: 12, Workers: workers})
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(again, set) {
					t.Errorf("with %d workers the set differs", workers)
				}
			}
		})
	}
}

func TestLoadFolderSkipsBadFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeImages(t, dir, "Cat/1.jpg", "Cat/3.png", "Dog/1.jpg", "Dog/5.gif")
	bad := map[string]string{ // file -> kind of problem
		"Cat/0-truncated.jpg": "corrupt JPEG",
		"Cat/2-empty.jpg":     kindEmpty,
		"Dog/0-text.jpg":      kindUnknown,
		"Dog/9-bomb.png":      kindOversized,
	}
	writeFile(t, dir, "Cat/0-truncated.jpg", truncatedJPEG(t))
	writeFile(t, dir, "Cat/2-empty.jpg", nil)
	writeFile(t, dir, "Dog/0-text.jpg", []byte("this is a text file\n"))
	writeFile(t, dir, "Dog/9-bomb.png", bombPNG(100000, 100000))
	writeFile(t, dir, "Dog/Thumbs.db", []byte{0, 1, 2})

	set, rep, err := LoadFolder(dir, Options{Side: 10, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cats != 2 || rep.Dogs != 2 || set.Len() != 4 {
		t.Errorf("loaded %d cats and %d dogs (set of %d), want 2 and 2", rep.Cats, rep.Dogs, set.Len())
	}
	var paths []string
	for _, s := range rep.Skipped {
		paths = append(paths, s.Path)
		rel, _ := filepath.Rel(dir, s.Path)
		if want := bad[filepath.ToSlash(rel)]; errorKind(s.Err) != want {
			t.Errorf("%s skipped as %q (%v), want %q", rel, errorKind(s.Err), s.Err, want)
		}
	}
	if len(paths) != len(bad) || !slices.IsSorted(paths) {
		t.Errorf("skipped %v, want the %d bad files in path order", paths, len(bad))
	}

	sum := rep.Summary(10)
	for _, want := range []string{"skipped 4 files", "1 corrupt JPEG", "1 empty file", "1 oversized image",
		"Cat/0-truncated.jpg: corrupt JPEG: ", "Cat/2-empty.jpg", "Dog/0-text.jpg", "Dog/9-bomb.png: oversized image"} {
		if !strings.Contains(sum, filepath.FromSlash(want)) {
			t.Errorf("summary %q does not mention %q", sum, want)
		}
	}
	if short := rep.Summary(1); !strings.HasSuffix(short, "; and 3 more") || strings.Contains(short, "2-empty") {
		t.Errorf("Summary(1) = %q, want one path and \"and 3 more\"", short)
	}
	if none := (&Report{}).Summary(5); none != "" {
		t.Errorf("Summary with nothing skipped = %q, want \"\"", none)
	}
}

func TestLoadFolderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		setup     func(t *testing.T, dir string)
		noImages  bool     // the error wraps ErrNoImages
		mentions  []string // besides the folder's name
		subfolder string   // the folder to load, inside the temporary one
	}{
		{
			name:     "empty folder",
			setup:    func(*testing.T, string) {},
			noImages: true,
			mentions: []string{"found 0 cat images and 0 dog images", "it is empty", "cat.N.jpg / dog.N.jpg"},
		},
		{
			name:     "missing class",
			setup:    func(t *testing.T, dir string) { writeImages(t, dir, "Cat/1.jpg", "Cat/2.jpg", "Cat/3.jpg") },
			noImages: true,
			mentions: []string{"found 3 cat images and 0 dog images"},
		},
		{
			name: "no layout",
			setup: func(t *testing.T, dir string) {
				writeImages(t, dir, "train/cat.1.jpg", "test1/1.jpg", "photo.jpg")
				writeFile(t, dir, "labels.csv", []byte("id,label\n"))
			},
			noImages: true,
			mentions: []string{"2 folders: test1, train", "1 image file not named cat.N or dog.N", "1 other file"},
		},
		{
			name: "every dog unusable",
			setup: func(t *testing.T, dir string) {
				writeImages(t, dir, "cat.1.jpg")
				writeFile(t, dir, "dog.1.jpg", nil)
			},
			noImages: true,
			mentions: []string{"1 cat and 0 dog images", "skipped 1 file (1 empty file)", "dog.1.jpg"},
		},
		{
			name:      "nonexistent folder",
			setup:     func(*testing.T, string) {},
			subfolder: "missing",
			mentions:  []string{"cannot read image folder", "no such file"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tc.setup(t, dir)
			dir = filepath.Join(dir, tc.subfolder)
			set, _, err := LoadFolder(dir, Options{Side: 8})
			if err == nil {
				t.Fatalf("no error; loaded %d images", set.Len())
			}
			if errors.Is(err, ErrNoImages) != tc.noImages {
				t.Errorf("errors.Is(err, ErrNoImages) = %v, want %v", !tc.noImages, tc.noImages)
			}
			for _, want := range append([]string{dir}, tc.mentions...) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestListImages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeImages(t, dir, "b.JPG", "a/z.png", "a/b/c.webp.png", "c.gif")
	writeFile(t, dir, "notes.txt", []byte("x"))
	writeFile(t, dir, ".hidden/x.jpg", []byte("x"))
	got, err := ListImages(dir)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, rel := range []string{"a/b/c.webp.png", "a/z.png", "b.JPG", "c.gif"} {
		want = append(want, filepath.Join(dir, rel))
	}
	if !slices.Equal(got, want) {
		t.Errorf("ListImages = %v, want %v", got, want)
	}

	one, err := ListImages(want[0])
	if err != nil || !slices.Equal(one, want[:1]) {
		t.Errorf("ListImages of a file = %v, %v; want the file", one, err)
	}
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	if _, err := ListImages(empty); !errors.Is(err, ErrNoImages) || !strings.Contains(err.Error(), empty) {
		t.Errorf("ListImages of an empty folder: %v, want ErrNoImages naming it", err)
	}
	if _, err := ListImages(filepath.Join(dir, "missing")); err == nil {
		t.Error("ListImages of a missing folder: no error")
	}
}

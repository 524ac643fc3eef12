// Package clitest makes the photo folders that the commands' tests train
// and predict on: synthetic cats and dogs saved as JPEG and PNG files at a
// camera-like 160x120, with corrupt files among them.
package clitest

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/draw"

	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
)

// Layout is how a photo folder is organised.
type Layout int

const (
	ClassFolders Layout = iota // DIR/Cat/N.jpg and DIR/Dog/N.png
	Flat                       // DIR/cat.N.jpg and DIR/dog.N.png
)

func (l Layout) String() string {
	if l == Flat {
		return "flat"
	}
	return "class folders"
}

// Photo sizes: not square, so that stretching and cropping differ.
const (
	photoWidth  = 160
	photoHeight = 120
)

// Folder is what WritePhotos wrote.
type Folder struct {
	Dir     string
	Cats    int      // good cat photos
	Dogs    int      // good dog photos
	Good    []string // paths of the good photos
	Corrupt []string // paths of the unusable files
}

// WritePhotos writes n synthetic photos drawn from seed into dir in the
// given layout, alternately JPEG and PNG, plus three unusable files: a
// truncated JPEG, an empty .jpg and a text file named .png.
func WritePhotos(t testing.TB, dir string, layout Layout, n int, seed uint64) Folder {
	t.Helper()
	return writePhotos(t, dir, layout, synthetic.Generate(n, seed, 100))
}

// WriteColourPhotos is WritePhotos of colour photos: the drawings tinted
// warm (cats) or cool (dogs), so that colour tells the classes apart too.
func WriteColourPhotos(t testing.TB, dir string, layout Layout, n int, seed uint64) Folder {
	t.Helper()
	set := synthetic.Generate(n, seed, 100)
	rgb := set.AsRGB()
	for i := range rgb.Len() {
		img := rgb.Image(i)
		// The scale of each plane, red to blue.
		tint := [3]int{10, 8, 5}
		if rgb.Labels[i] == dataset.Dog {
			tint = [3]int{5, 8, 10}
		}
		plane := set.Size()
		for c, k := range tint {
			for j := range plane {
				img[c*plane+j] = uint8(int(img[c*plane+j]) * k / 10)
			}
		}
	}
	return writePhotos(t, dir, layout, rgb)
}

// writePhotos writes the images of set, grayscale or colour, as photos
// into dir in the given layout, with three unusable files.
func writePhotos(t testing.TB, dir string, layout Layout, set *dataset.Set) Folder {
	t.Helper()
	n := set.Len()
	f := Folder{Dir: dir}
	name := func(label uint8, i int, ext string) string {
		class := dataset.ClassNames[label]
		if layout == Flat {
			return filepath.Join(dir, fmt.Sprintf("%s.%d%s", class, i, ext))
		}
		// Capitalised, as in Microsoft's PetImages.
		return filepath.Join(dir, string(class[0]-'a'+'A')+class[1:], fmt.Sprintf("%d%s", i, ext))
	}
	write := func(path string, data []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var firstJPEG []byte
	for i := range set.Len() {
		data, ext := encodePhoto(t, set.Image(i), set.Side, set.ChannelCount(), i%2 == 0)
		if firstJPEG == nil && ext == ".jpg" {
			firstJPEG = data
		}
		path := name(set.Labels[i], i, ext)
		write(path, data)
		f.Good = append(f.Good, path)
		if set.Labels[i] == dataset.Cat {
			f.Cats++
		} else {
			f.Dogs++
		}
	}
	f.Corrupt = []string{
		name(dataset.Cat, n, ".jpg"),
		name(dataset.Dog, n+1, ".jpg"),
		name(dataset.Cat, n+2, ".png"),
	}
	write(f.Corrupt[0], firstJPEG[:len(firstJPEG)/2])
	write(f.Corrupt[1], nil)
	write(f.Corrupt[2], []byte("this is not a picture of a cat\n"))
	return f
}

// EncodePhoto stretches a side x side luma image to 160x120 and encodes it
// as JPEG (asJPEG) or PNG, returning the bytes and the file extension.
func EncodePhoto(t testing.TB, pix []uint8, side int, asJPEG bool) ([]byte, string) {
	t.Helper()
	return encodePhoto(t, pix, side, dataset.Grayscale, asJPEG)
}

// encodePhoto is EncodePhoto of an image of channels planes (as a
// dataset.Set holds it).
func encodePhoto(t testing.TB, pix []uint8, side, channels int, asJPEG bool) ([]byte, string) {
	t.Helper()
	square, photo := image.Rect(0, 0, side, side), image.Rect(0, 0, photoWidth, photoHeight)
	var src, dst draw.Image
	if channels == dataset.RGB {
		rgba, plane := image.NewRGBA(square), side*side
		for i := range plane {
			p := rgba.Pix[4*i : 4*i+4]
			p[0], p[1], p[2], p[3] = pix[i], pix[plane+i], pix[2*plane+i], 0xff
		}
		src, dst = rgba, image.NewRGBA(photo)
	} else {
		gray := image.NewGray(square)
		copy(gray.Pix, pix)
		src, dst = gray, image.NewGray(photo)
	}
	draw.BiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	if asJPEG {
		if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes(), ".jpg"
	}
	if err := png.Encode(&buf, dst); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), ".png"
}

// FixBLASThreads gives the BLAS one thread, and says so in
// OPENBLAS_NUM_THREADS, for a command's TestMain, unless that variable is
// set already. The command's in-process runs then leave the process's
// setting alone (cli.TuneBLAS respects a count set there) instead of
// changing it while another run's products are going; and the tests'
// networks, small and trained two at a time, gain nothing from OpenBLAS's
// threads, which spin idle after each product: with them catdog-train's
// tests took about 60% more CPU time (18 s against 10 s on 2 cores).
func FixBLASThreads() {
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		cpu.SetBLASThreads(1)
		os.Setenv("OPENBLAS_NUM_THREADS", "1")
	}
}

// CheckHelp runs a command with -h and with --help through run, which
// returns the exit status, stdout and stderr, and fails unless each exits
// 0 and writes its usage ("Usage:" and each of want) to stdout and nothing
// to stderr: help that was asked for is the command's output, not an
// error.
func CheckHelp(t *testing.T, run func(args ...string) (code int, stdout, stderr string), want ...string) {
	t.Helper()
	for _, flag := range []string{"-h", "--help"} {
		code, stdout, stderr := run(flag)
		if code != 0 || stderr != "" {
			t.Errorf("%s: exit %d, stderr %q; want exit 0 and the usage on stdout", flag, code, stderr)
		}
		for _, w := range append([]string{"Usage:"}, want...) {
			if !strings.Contains(stdout, w) {
				t.Errorf("%s: stdout lacks %q:\n%s", flag, w, stdout)
			}
		}
	}
}

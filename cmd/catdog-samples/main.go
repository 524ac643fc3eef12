// Command catdog-samples writes images of the built-in synthetic cat/dog
// set as PNG files, to look at them or to feed catdog-predict, or, with
// --photos, as a folder of photo-like JPEGs to try catdog-train --data on.
//
// Usage:
//
//	catdog-samples [--out DIR] [--n 6] [--seed 7]
//	catdog-samples --photos 500x375 --n 2000 --out DIR
//
// The PNG files are named cat-N.png and dog-N.png after their true class.
// With --photos, each drawing is rendered at 300x300, stretched to the
// size given (as a camera's frame would be), tinted warm, and saved as a
// JPEG in DIR/Cat or DIR/Dog, Microsoft's PetImages layout. Files of the
// same names in DIR are replaced; others are left as they are. The seed
// defaults to one that catdog-train does not use, so the images are new to
// a model trained on the default built-in set.
//
// Exit status: 0 on success (and after -h), 1 when a file cannot be
// written, 2 for a bad command line.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/image/draw"

	"github.com/neurone-dl/neurone/internal/atomicfile"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const synopsis = `catdog-samples writes images of the built-in synthetic cat/dog set.

Usage:
  catdog-samples [--out DIR] [--n 6] [--seed 7]        PNG files, cat-N.png and dog-N.png
  catdog-samples --photos 500x375 --n 2000 --out DIR   photo-like JPEGs in DIR/Cat and DIR/Dog

Flags:
`

// run is the whole command: the files' paths go to stdout, errors to
// stderr; it returns the exit status: 0 (-h included), 1 when writing
// fails, 2 for a bad command line.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("catdog-samples", flag.ContinueOnError)
	// Parse errors and -h are reported below, in the command's own words.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	out := fs.String("out", "samples", "folder `DIR` to write the image files into")
	n := fs.Int("n", 6, "`N` images, half cats, half dogs")
	seed := fs.Uint64("seed", 7, "generator `seed`")
	photos := fs.String("photos", "", "write photo-like JPEGs of `WxH` pixels (e.g. 500x375) in\nOUT/Cat and OUT/Dog, for catdog-train --data, instead of PNGs")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			// Asked for: the command's output, and a success.
			fmt.Fprint(stdout, synopsis)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		fmt.Fprintf(stderr, "catdog-samples: %v\nrun catdog-samples -h for the flags\n", err)
		return 2
	}
	if *n <= 0 {
		fmt.Fprintf(stderr, "catdog-samples: --n: %d is not a positive number of images\n", *n)
		return 2
	}
	var width, height int
	if *photos != "" {
		if _, err := fmt.Sscanf(*photos, "%dx%d", &width, &height); err != nil || width <= 0 || height <= 0 ||
			width > maxPhotoSide || height > maxPhotoSide || fmt.Sprintf("%dx%d", width, height) != *photos {
			fmt.Fprintf(stderr, "catdog-samples: --photos: %q is not a size such as 500x375 (at most %dx%d)\n", *photos, maxPhotoSide, maxPhotoSide)
			return 2
		}
	}
	side, write := 100, writePNG
	if width > 0 {
		side, write = photoSide, func(set *dataset.Set, i int) ([]byte, string, error) { return writePhoto(set, i, width, height) }
	}
	set := synthetic.Generate(*n, *seed, side)
	for i := range set.Len() {
		data, name, err := write(set, i)
		if err != nil {
			fmt.Fprintf(stderr, "catdog-samples: %v\n", err)
			return 1
		}
		path := filepath.Join(*out, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			fmt.Fprintf(stderr, "catdog-samples: --out: %v\n", err)
			return 1
		}
		if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
			fmt.Fprintf(stderr, "catdog-samples: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, path)
	}
	return 0
}

// writePNG encodes image i of set as a PNG named after its class.
func writePNG(set *dataset.Set, i int) ([]byte, string, error) {
	var buf bytes.Buffer
	err := synthetic.WritePNG(&buf, set, i)
	return buf.Bytes(), fmt.Sprintf("%s-%d.png", dataset.ClassNames[set.Labels[i]], i+1), err
}

// photoSide is the size the --photos drawings are rendered at, before
// they are stretched to the photos' size, at most maxPhotoSide a side.
const photoSide, maxPhotoSide = 300, 8192

// writePhoto stretches image i of set to width x height, tints it warm
// (photos are colour; catdog-train turns them grey without --colour) and encodes it
// as a JPEG in the folder of its class, PetImages' Cat or Dog.
func writePhoto(set *dataset.Set, i, width, height int) ([]byte, string, error) {
	src := &image.Gray{Pix: set.Image(i), Stride: set.Side, Rect: image.Rect(0, 0, set.Side, set.Side)}
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.BiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	for k := 0; k < len(dst.Pix); k += 4 {
		dst.Pix[k] = uint8(min(255, int(dst.Pix[k])+20))   // red up
		dst.Pix[k+2] = uint8(max(0, int(dst.Pix[k+2])-20)) // blue down
	}
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85})
	class := map[uint8]string{dataset.Cat: "Cat", dataset.Dog: "Dog"}[set.Labels[i]]
	return buf.Bytes(), filepath.Join(class, fmt.Sprintf("%d.jpg", i+1)), err
}

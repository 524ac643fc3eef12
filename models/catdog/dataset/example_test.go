package dataset_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// writeGrayPNG writes a solid grey w x h PNG to path.
func writeGrayPNG(path string, w, h int, y uint8) {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = y
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
}

func ExampleLoadFolder() {
	dir, err := os.MkdirTemp("", "pets")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for _, class := range []string{"Cat", "Dog"} {
		os.Mkdir(filepath.Join(dir, class), 0o755)
		writeGrayPNG(filepath.Join(dir, class, "1.png"), 300, 200, 90)
		writeGrayPNG(filepath.Join(dir, class, "2.png"), 120, 160, 200)
	}
	os.WriteFile(filepath.Join(dir, "Cat", "666.jpg"), nil, 0o644) // as in PetImages

	set, report, err := dataset.LoadFolder(dir, dataset.Options{Side: 64, Crop: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(report.Layout, report.Cats, "cats", report.Dogs, "dogs")
	fmt.Println(report.Summary(5))
	fmt.Println(set.Len(), "images of", set.Side, "x", set.Side, "first pixel", set.Image(0)[0], "label", dataset.ClassNames[set.Labels[0]])
	// Output:
	// class folders 2 cats 2 dogs
	// skipped 1 file (1 empty file): Cat/666.jpg: empty file
	// 4 images of 64 x 64 first pixel 90 label cat
}

func ExampleDecode() {
	img := image.NewRGBA(image.Rect(0, 0, 10, 10))
	for y := range 10 {
		for x := range 10 {
			img.Set(x, y, color.RGBA{R: 200, G: 100, B: 50, A: 255})
		}
	}
	var file bytes.Buffer
	if err := png.Encode(&file, img); err != nil {
		log.Fatal(err)
	}

	pix, err := dataset.Decode(&file, dataset.Options{Side: 4})
	if err != nil {
		log.Fatal(err)
	}
	// Luma is 0.299 R + 0.587 G + 0.114 B.
	fmt.Println(len(pix), "pixels of luma", pix[0])
	// Output:
	// 16 pixels of luma 124
}

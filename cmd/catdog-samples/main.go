// Command catdog-samples writes images of the built-in synthetic cat/dog
// set as PNG files, to look at them or to feed catdog-predict.
//
// Usage:
//
//	catdog-samples [--out DIR] [--n 6] [--seed 7]
//
// The files are named cat-N.png and dog-N.png after their true class.
// The seed defaults to one that catdog-train does not use, so the images
// are new to a model trained on the default built-in set.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/neurone-dl/neurone/internal/atomicfile"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("catdog-samples", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "samples", "folder to write the PNG files into")
	n := fs.Int("n", 6, "number of images (half cats, half dogs)")
	seed := fs.Uint64("seed", 7, "generator seed")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *n <= 0 {
		fmt.Fprintf(stderr, "catdog-samples: --n: %d is not a positive number of images\n", *n)
		return 2
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "catdog-samples: --out: %v\n", err)
		return 1
	}
	set := synthetic.Generate(*n, *seed, 100)
	for i := range set.Len() {
		var buf bytes.Buffer
		if err := synthetic.WritePNG(&buf, set, i); err != nil {
			fmt.Fprintf(stderr, "catdog-samples: %v\n", err)
			return 1
		}
		path := filepath.Join(*out, fmt.Sprintf("%s-%d.png", dataset.ClassNames[set.Labels[i]], i+1))
		if err := atomicfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			fmt.Fprintf(stderr, "catdog-samples: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, path)
	}
	return 0
}

package main

import (
	"fmt"
	"io"
	"time"

	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
)

// data is the training, validation and test sets of a run, and what
// loading them found.
type data struct {
	train, val, test *dataset.Set
	source           string // "synthetic" or the --data folder
	skipped          int    // files left out of --data and --test
}

// loadData loads --data (or generates the synthetic set) and --test, and
// splits them: the test set is the --test folder or a stratified hold-out
// of --test-split, and --val of the rest is held out for validation. Every
// split is seeded, so a resumed run sees the same sets.
func loadData(o *options, w io.Writer) (*data, error) {
	side := o.side
	opt := dataset.Options{Side: side, Crop: o.crop, Workers: o.workers, CacheDir: o.cache}
	d := &data{}
	var all *dataset.Set
	if o.data == "" {
		all = synthetic.Generate(o.synthetic, o.seed, side)
		cats, dogs := all.Counts()
		d.source = "synthetic"
		fmt.Fprintf(w, "data: SYNTHETIC stand-in for photos: %d generated %dx%d images (%d cats, %d dogs, seed %d);\n"+
			"  the accuracy says how well the model learns these drawings, not real photos; use --data DIR for photos\n",
			all.Len(), side, side, cats, dogs, o.seed)
	} else {
		set, err := loadFolder("--data", "data", o.data, opt, w)
		if err != nil {
			return nil, err
		}
		all, d.source = set.set, o.data
		d.skipped += set.skipped
	}

	rest := all
	if o.test != "" {
		set, err := loadFolder("--test", "test", o.test, opt, w)
		if err != nil {
			return nil, err
		}
		d.test = set.set
		d.skipped += set.skipped
	} else {
		var err error
		if rest, d.test, err = all.Split(o.testSplit, o.seed); err != nil {
			return nil, err
		}
	}
	var err error
	if d.train, d.val, err = rest.Split(o.val, o.seed+1); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "split (seed %d): train %s, val %s, test %s\n", o.seed, counts(d.train), counts(d.val), counts(d.test))
	if n := d.train.Len(); n < o.batch {
		return nil, fmt.Errorf("%d training images do not fill one batch of %d; use a smaller --batch or more data", n, o.batch)
	}
	return d, nil
}

// loaded is one folder's images and how many files were skipped.
type loaded struct {
	set     *dataset.Set
	skipped int
}

// loadFolder loads the photo folder of a flag and reports what it found.
func loadFolder(flagName, what, dir string, opt dataset.Options, w io.Writer) (loaded, error) {
	start := time.Now()
	set, rep, err := dataset.LoadFolder(dir, opt)
	if err != nil {
		return loaded{}, fmt.Errorf("%s: %w", flagName, err)
	}
	from := ""
	if rep.FromCache {
		from = ", from the cache in " + opt.CacheDir
	}
	fmt.Fprintf(w, "%s: %s (%s): %d cats, %d dogs, %.1fs%s\n", what, dir, rep.Layout, rep.Cats, rep.Dogs, time.Since(start).Seconds(), from)
	if s := rep.Summary(5); s != "" {
		fmt.Fprintf(w, "  %s\n", s)
	}
	return loaded{set, len(rep.Skipped)}, nil
}

// counts says how many images of each class a set holds.
func counts(s *dataset.Set) string {
	cats, dogs := s.Counts()
	return fmt.Sprintf("%d (%d cats, %d dogs)", s.Len(), cats, dogs)
}

// classCounts is a set's size by class, as summary.json gives it.
type classCounts struct {
	Images int `json:"images"`
	Cats   int `json:"cats"`
	Dogs   int `json:"dogs"`
}

func countOf(s *dataset.Set) classCounts {
	cats, dogs := s.Counts()
	return classCounts{Images: s.Len(), Cats: cats, Dogs: dogs}
}

package catdog

import (
	"fmt"
	"io"
	"time"

	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/catdog/synthetic"
)

// Data are the training, validation and test sets of a run, and what
// loading them found.
type Data struct {
	Train, Val, Test *dataset.Set
	Source           string // "synthetic", or the photo folder
	Skipped          int    // files left out of the photo folders
}

// DataError is a failure to load the images of the setting Name (data
// or test).
type DataError struct {
	Name string
	Err  error
}

func (e *DataError) Error() string { return "catdog: " + e.Name + ": " + e.Err.Error() }

func (e *DataError) Unwrap() error { return e.Err }

// LoadData loads the Data folder (or generates the synthetic set) and the
// Test folder, with opt's workers and cache, at Side, in colour when
// Colour says so, and splits them: the test
// set is the Test folder or a stratified hold-out of TestSplit, and Val
// of the rest is held out for validation. Every split is seeded, so a
// resumed run sees the same sets. It says on w what it loaded, and how
// it split it.
func (s *Settings) LoadData(opt dataset.Options, w io.Writer) (*Data, error) {
	side := s.side()
	opt.Side, opt.Crop, opt.Channels = side, s.Crop, s.channels()
	d := &Data{}
	var all *dataset.Set
	if s.Data == "" {
		all = synthetic.Generate(s.Synthetic, s.Seed, side)
		cats, dogs := all.Counts()
		d.Source = "synthetic"
		gray := ""
		if s.Colour {
			all, gray = all.AsRGB(), " (gray, as 3 equal colour planes)"
		}
		fmt.Fprintf(w, "data: SYNTHETIC stand-in for photos: %d generated %dx%d images%s (%d cats, %d dogs, seed %d);\n"+
			"  the accuracy says how well the model learns these drawings, not real photos; use --data DIR for photos\n",
			all.Len(), side, side, gray, cats, dogs, s.Seed)
	} else {
		var err error
		if all, err = d.loadFolder("data", s.Data, opt, w); err != nil {
			return nil, err
		}
		d.Source = s.Data
	}
	rest := all
	var err error
	if s.Test != "" {
		d.Test, err = d.loadFolder("test", s.Test, opt, w)
	} else {
		rest, d.Test, err = all.Split(s.TestSplit, s.Seed)
	}
	if err != nil {
		return nil, err
	}
	if d.Train, d.Val, err = rest.Split(s.Val, s.Seed+1); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "split (seed %d): train %s, val %s, test %s\n", s.Seed, counts(d.Train), counts(d.Val), counts(d.Test))
	return d, nil
}

// loadFolder loads the photo folder of a setting, counts the files it
// skipped and says what it found.
func (d *Data) loadFolder(name, dir string, opt dataset.Options, w io.Writer) (*dataset.Set, error) {
	start := time.Now()
	set, rep, err := dataset.LoadFolder(dir, opt)
	if err != nil {
		return nil, &DataError{Name: name, Err: err}
	}
	from := ""
	if rep.FromCache {
		from = ", from the cache in " + opt.CacheDir
	}
	fmt.Fprintf(w, "%s: %s (%s): %d cats, %d dogs, %.1fs%s\n", name, dir, rep.Layout, rep.Cats, rep.Dogs, time.Since(start).Seconds(), from)
	if s := rep.Summary(5); s != "" {
		fmt.Fprintf(w, "  %s\n", s)
	}
	d.Skipped += len(rep.Skipped)
	return set, nil
}

// counts says how many images of each class a set holds.
func counts(s *dataset.Set) string {
	cats, dogs := s.Counts()
	return fmt.Sprintf("%d (%d cats, %d dogs)", s.Len(), cats, dogs)
}

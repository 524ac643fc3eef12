package report

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/neurone-dl/neurone/internal/atomicfile"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// Output is where a command ends a run (Finish), and how.
type Output struct {
	W     io.Writer     // the console
	FS    atomicfile.FS // writes the files; nil: the operating system's
	Dir   string        // the run's folder
	Plots bool          // draw the plots
	BLAS  string        // the program's BLAS, for the summary
	Start time.Time     // the program's start, for ElapsedSeconds
}

// Finish ends the run of res, on the data d: it prints its result
// (PrintResult), draws the plots into Dir when Plots, writes
// summary.json there and says which files the run holds.
func (o Output) Finish(res *catdog.Result, d *catdog.Data) error {
	s := NewSummary(res)
	s.BLAS, s.Data, s.DataSettings, s.Skipped = o.BLAS, d.Source, res.Data, d.Skipped
	s.Train, s.Val, s.TestSize = CountOf(d.Train), CountOf(d.Val), CountOf(d.Test)
	PrintResult(o.W, res, o.Dir)
	var fpr, tpr []float64
	auc := 0.0
	if res.Test != nil {
		fpr, tpr = catdog.ROC(res.TestProbs, d.Test.Labels)
		auc = res.Test.AUC
	}
	var err error
	if o.Plots {
		if s.Plots, err = WritePlots(o.FS, o.Dir, res.History, fpr, tpr, auc); err != nil {
			return err
		}
	}
	s.ElapsedSeconds = time.Since(o.Start).Seconds()
	if err := s.Write(o.FS, filepath.Join(o.Dir, SummaryFile)); err != nil {
		return err
	}
	files := []string{checkpoint.LastFile, catdog.HistoryFile, SummaryFile}
	if res.BestEpoch > 0 {
		files = slices.Insert(files, 0, checkpoint.BestFile)
	}
	files = append(files, s.Plots...)
	fmt.Fprintf(o.W, "wrote %s in %s (%.1fs)\n", strings.Join(files, ", "), o.Dir, s.ElapsedSeconds)
	return nil
}

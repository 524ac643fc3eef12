// Package report writes what a cat/dog training run (catdog.Run) found,
// as catdog-train gives it: summary.json, the loss, accuracy and ROC
// plots, and the text of the confusion matrix and the per-class scores.
//
// # Overview
//
// NewSummary turns a catdog.Result into a Summary, which Write saves as
// JSON; WritePlots draws the history's curves and the test set's ROC
// curve. ConfusionText and ClassText lay out the test's figures for a
// console, as PrintStart, EpochLine and PrintResult do a run's start,
// epochs and end; Bar shows each epoch's progress on a terminal, and
// Output.Finish ends a run as a command does: the result, the plots,
// summary.json. Every report lists cat, the positive class, whose
// probability the network outputs, first (ClassOrder). Each file is
// written atomically.
package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/atomicfile"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// SummaryFile is the name of the summary in a run's folder.
const SummaryFile = "summary.json"

// Summary is summary.json: the test of a run's chosen model and the
// run's settings.
type Summary struct {
	TestModel string                `json:"test_model"` // the checkpoint the test ran on
	Test      *catdog.MetricsRecord `json:"test_metrics"`
	// TestAccuracy and TestLoss repeat Test's, for readers of older summaries.
	TestAccuracy *float64  `json:"test_accuracy"`
	TestLoss     *float64  `json:"test_loss"`
	Confusion    Confusion `json:"confusion"`
	// PerClass is each class's precision, recall, F1 and support on the
	// test set, that class taken as the positive one.
	PerClass map[string]catdog.ClassReport `json:"per_class"`

	BestValAccuracy *float64 `json:"best_val_accuracy"`
	BestValLoss     *float64 `json:"best_val_loss"`
	BestEpoch       int      `json:"best_epoch"` // 0 without validation
	Epochs          int      `json:"epochs"`
	StoppedEarly    bool     `json:"stopped_early"` // by early stopping, after Epochs
	SamplesPerSec   float64  `json:"samples_per_s"` // over all epochs, resumed ones included

	Arch      string              `json:"arch"`
	Optimizer optim.Optimizer     `json:"optimizer"`
	Schedule  optim.Schedule      `json:"lr_schedule"`
	Augment   catdog.Augmentation `json:"augment"`
	Device    string              `json:"device"`
	TF32      bool                `json:"tf32"` // TensorFloat-32 allowed (CUDA only)
	BLAS      string              `json:"blas"`
	Plots     []string            `json:"plots"`

	Data         string               `json:"data"`          // the photo folder, or "synthetic"
	DataSettings *catdog.DataSettings `json:"data_settings"` // as the checkpoints record them
	Train        ClassCounts          `json:"train"`
	Val          ClassCounts          `json:"val"`
	TestSize     ClassCounts          `json:"test"`
	Skipped      int                  `json:"skipped"` // files left out of the photo folders
	Seed         uint64               `json:"seed"`

	ElapsedSeconds float64 `json:"elapsed_s"` // the run's program, from start to summary
}

// NewSummary returns the summary of res: its test, best epoch and
// settings. The fields about the data and the program (Data, the counts,
// Skipped, BLAS, Plots, ElapsedSeconds) are left to the caller.
func NewSummary(res *catdog.Result) Summary {
	s := Summary{
		TestModel: res.TestModel, Confusion: NewConfusion([2][2]int{}),
		BestEpoch: res.BestEpoch, Epochs: res.LastEpoch, StoppedEarly: res.StoppedEarly, SamplesPerSec: res.SamplesPerSec,
		Arch: res.Config.Arch, Optimizer: res.Optimizer, Schedule: res.Schedule, Augment: res.Augment,
		Device: res.Device, TF32: res.Config.TF32, Seed: res.Config.Seed,
	}
	if res.BestEpoch > 0 {
		s.BestValAccuracy, s.BestValLoss = &res.BestVal.Accuracy, &res.BestVal.Loss
	}
	if m := res.Test; m != nil {
		rec := m.Record()
		s.Test, s.TestAccuracy, s.TestLoss, s.Confusion = &rec, &m.Accuracy, &m.Loss, NewConfusion(m.Confusion)
		per := m.PerClass()
		s.PerClass = map[string]catdog.ClassReport{}
		for label, name := range dataset.ClassNames {
			s.PerClass[name] = per[label]
		}
	}
	return s
}

// Write saves s as JSON at path, through fsys (nil: the operating
// system's files).
func (s Summary) Write(fsys atomicfile.FS, path string) error {
	text, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFileFS(fsys, path, append(text, '\n'), 0o644)
}

// ClassCounts is a set's size by class.
type ClassCounts struct {
	Images int `json:"images"`
	Cats   int `json:"cats"`
	Dogs   int `json:"dogs"`
}

// CountOf returns the size of s by class.
func CountOf(s *dataset.Set) ClassCounts {
	cats, dogs := s.Counts()
	return ClassCounts{Images: s.Len(), Cats: cats, Dogs: dogs}
}

// Confusion is a confusion matrix that says how to read itself.
type Confusion struct {
	Rows    string    `json:"rows"`
	Columns string    `json:"columns"`
	Classes [2]string `json:"classes"` // index i of a row or column is Classes[i]: ClassOrder
	Matrix  [2][2]int `json:"matrix"`
}

// ClassOrder is the order in which every report lists the classes: cat,
// the positive class, whose probability the network outputs, first.
var ClassOrder = [2]uint8{dataset.Cat, dataset.Dog}

// NewConfusion lays out c, indexed by label as [actual][predicted], in
// ClassOrder.
func NewConfusion(c [2][2]int) Confusion {
	s := Confusion{Rows: "actual", Columns: "predicted"}
	for i, actual := range ClassOrder {
		s.Classes[i] = dataset.ClassNames[actual]
		for j, predicted := range ClassOrder {
			s.Matrix[i][j] = c[actual][predicted]
		}
	}
	return s
}

// ConfusionText lays out a confusion matrix, indexed by label as
// [actual][predicted], in ClassOrder: rows actual, columns predicted.
func ConfusionText(c [2][2]int) string {
	var b strings.Builder
	names := dataset.ClassNames
	fmt.Fprintf(&b, "confusion matrix (rows: actual, columns: predicted):\n")
	fmt.Fprintf(&b, "  %-8s %8s %8s\n", "", names[ClassOrder[0]], names[ClassOrder[1]])
	for _, actual := range ClassOrder {
		fmt.Fprintf(&b, "  %-8s %8d %8d\n", names[actual], c[actual][ClassOrder[0]], c[actual][ClassOrder[1]])
	}
	return b.String()
}

// ClassText lays out each class's precision, recall, F1 and support.
func ClassText(per [2]catdog.ClassReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %-8s %9s %9s %9s %9s\n", "class", "precision", "recall", "F1", "support")
	for _, label := range ClassOrder {
		r := per[label]
		fmt.Fprintf(&b, "  %-8s %9.4f %9.4f %9.4f %9d\n", dataset.ClassNames[label], r.Precision, r.Recall, r.F1, r.Support)
	}
	return b.String()
}

// FormatAUC writes an AUC, or says why there is none.
func FormatAUC(auc float64) string {
	if math.IsNaN(auc) {
		return "undefined: one class only"
	}
	return fmt.Sprintf("%.4f", auc)
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/atomicfile"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// epochRecord is one line of history.jsonl. Val is null when the run has
// no validation set.
type epochRecord struct {
	Epoch        int     `json:"epoch"`
	LearningRate float64 `json:"lr"` // the rate of the epoch's first step (all of them without --lr-per-step)
	// MeanBatchLoss is the mean of the training batches' losses over the
	// epoch, each taken as its batch was trained (augmented, before the
	// step's update), not the loss of the trained model: that is Train's.
	MeanBatchLoss float64        `json:"mean_batch_loss"`
	Train         metricsRecord  `json:"train"`
	Val           *metricsRecord `json:"val"`
	Seconds       float64        `json:"seconds"`       // training time of the epoch, without evaluation
	SamplesPerSec float64        `json:"samples_per_s"` // training images per second
}

// UnmarshalJSON reads a line of history.jsonl, also as builds before
// mean_batch_loss wrote it, under "loss".
func (r *epochRecord) UnmarshalJSON(data []byte) error {
	type record epochRecord // without this method
	var v struct {
		record
		OldLoss *float64 `json:"loss"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*r = epochRecord(v.record)
	if v.OldLoss != nil {
		r.MeanBatchLoss = *v.OldLoss
	}
	return nil
}

// metricsRecord is catdog.Metrics as history.jsonl and summary.json give
// them: measured after the epoch without augmentation, on the validation
// set or on up to trainProbeSize training images. AUC is null when the
// images are all of one class.
type metricsRecord struct {
	Loss      float64  `json:"loss"`
	Accuracy  float64  `json:"accuracy"`
	Precision float64  `json:"precision"` // of cat, the positive class
	Recall    float64  `json:"recall"`
	F1        float64  `json:"f1"`
	AUC       *float64 `json:"auc"`
}

func newMetricsRecord(m catdog.Metrics) metricsRecord {
	r := metricsRecord{Loss: m.Loss, Accuracy: m.Accuracy, Precision: m.Precision, Recall: m.Recall, F1: m.F1}
	if !math.IsNaN(m.AUC) {
		r.AUC = &m.AUC
	}
	return r
}

// readHistory reads history.jsonl, keeping the epochs up to through (those
// after it belong to an epoch whose checkpoint was not written). A missing
// file is an empty history.
func readHistory(path string, through int) ([]epochRecord, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []epochRecord
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r epochRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if r.Epoch <= through {
			out = append(out, r)
		}
	}
	return out, sc.Err()
}

// writeHistory replaces history.jsonl atomically with one line per record.
func writeHistory(fsys atomicfile.FS, path string, history []epochRecord) error {
	return atomicfile.WriteFS(fsys, path, 0o644, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, r := range history {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// summary is summary.json.
type summary struct {
	TestModel string         `json:"test_model"` // the checkpoint the test ran on
	Test      *metricsRecord `json:"test_metrics"`
	// TestAccuracy and TestLoss repeat Test's, for readers of older summaries.
	TestAccuracy *float64  `json:"test_accuracy"`
	TestLoss     *float64  `json:"test_loss"`
	Confusion    confusion `json:"confusion"`
	// PerClass is each class's precision, recall, F1 and support on the
	// test set, that class taken as the positive one.
	PerClass map[string]catdog.ClassReport `json:"per_class"`

	BestValAccuracy *float64 `json:"best_val_accuracy"`
	BestValLoss     *float64 `json:"best_val_loss"`
	BestEpoch       int      `json:"best_epoch"` // 0 without validation
	Epochs          int      `json:"epochs"`
	StoppedEarly    bool     `json:"stopped_early"` // by --patience, after Epochs
	SamplesPerSec   float64  `json:"samples_per_s"` // over all epochs, resumed ones included

	Arch      string              `json:"arch"`
	Optimizer optim.Optimizer     `json:"optimizer"`
	Schedule  optim.Schedule      `json:"lr_schedule"`
	Augment   catdog.Augmentation `json:"augment"`
	Device    string              `json:"device"`
	TF32      bool                `json:"tf32"` // --tf32: TensorFloat-32 allowed (CUDA only)
	BLAS      string              `json:"blas"`
	Plots     []string            `json:"plots"`

	Data         string               `json:"data"`          // the --data folder, or "synthetic"
	DataSettings *catdog.DataSettings `json:"data_settings"` // as the checkpoints record them
	Train        classCounts          `json:"train"`
	Val          classCounts          `json:"val"`
	TestSize     classCounts          `json:"test"`
	Skipped      int                  `json:"skipped"` // files left out of --data and --test
	Seed         uint64               `json:"seed"`

	ElapsedSeconds float64 `json:"elapsed_s"` // this invocation, from start to summary
}

// confusion is a confusion matrix that says how to read itself.
type confusion struct {
	Rows    string    `json:"rows"`
	Columns string    `json:"columns"`
	Classes [2]string `json:"classes"` // index i of a row or column is Classes[i]: classOrder
	Matrix  [2][2]int `json:"matrix"`
}

// classOrder is the order in which every report lists the classes: cat,
// the positive class, whose probability the network outputs, first.
var classOrder = [2]uint8{dataset.Cat, dataset.Dog}

// newConfusion lays out c, indexed by label as [actual][predicted], in
// classOrder.
func newConfusion(c [2][2]int) confusion {
	s := confusion{Rows: "actual", Columns: "predicted"}
	for i, actual := range classOrder {
		s.Classes[i] = dataset.ClassNames[actual]
		for j, predicted := range classOrder {
			s.Matrix[i][j] = c[actual][predicted]
		}
	}
	return s
}

// confusionText lays out a confusion matrix, indexed by label as
// [actual][predicted], in classOrder: rows actual, columns predicted.
func confusionText(c [2][2]int) string {
	var b strings.Builder
	names := dataset.ClassNames
	fmt.Fprintf(&b, "confusion matrix (rows: actual, columns: predicted):\n")
	fmt.Fprintf(&b, "  %-8s %8s %8s\n", "", names[classOrder[0]], names[classOrder[1]])
	for _, actual := range classOrder {
		fmt.Fprintf(&b, "  %-8s %8d %8d\n", names[actual], c[actual][classOrder[0]], c[actual][classOrder[1]])
	}
	return b.String()
}

// finish tests the chosen model, prints the result, draws the plots and
// writes summary.json.
func (t *trainer) finish() error {
	s := summary{
		Confusion: newConfusion([2][2]int{}),
		BestEpoch: t.bestEpoch, Epochs: t.lastEpoch, StoppedEarly: t.stopped,
		Arch: t.o.arch, Optimizer: t.optimizer, Schedule: t.schedule, Augment: t.net.Augment,
		Device: t.device.Name(), TF32: t.net.Config.TF32, BLAS: cpu.BLAS(),
		Data: t.data.source, Train: countOf(t.data.train), Val: countOf(t.data.val), TestSize: countOf(t.data.test),
		Skipped: t.data.skipped, Seed: t.o.seed, DataSettings: t.dataSet,
	}
	if t.bestEpoch > 0 {
		s.BestValAccuracy, s.BestValLoss = &t.bestVal.Accuracy, &t.bestVal.Loss
		fmt.Fprintf(t.stdout, "best validation loss %.4f (accuracy %.1f%%) at epoch %d\n", t.bestVal.Loss, 100*t.bestVal.Accuracy, t.bestEpoch)
	}
	var samples, seconds float64
	for _, r := range t.history {
		samples += r.SamplesPerSec * r.Seconds
		seconds += r.Seconds
	}
	if seconds > 0 {
		s.SamplesPerSec = samples / seconds
	}

	var err error
	if s.TestModel, err = t.testModel(); err != nil {
		return err
	}
	if t.stopped && t.bestEpoch > 0 {
		fmt.Fprintf(t.stdout, "stopped early after epoch %d; the best weights, of epoch %d, are restored from %s for the test\n",
			t.lastEpoch, t.bestEpoch, bestFile)
	}
	var fpr, tpr []float64
	auc := math.NaN()
	if t.data.test.Len() == 0 {
		fmt.Fprintln(t.stdout, "no test set (--test-split 0): no test accuracy")
	} else {
		probs, err := t.net.Probabilities(t.data.test)
		if err != nil {
			return err
		}
		m := catdog.Score(probs, t.data.test.Labels)
		fpr, tpr = catdog.ROC(probs, t.data.test.Labels)
		auc = m.AUC
		rec := newMetricsRecord(m)
		s.Test, s.TestAccuracy, s.TestLoss, s.Confusion = &rec, &m.Accuracy, &m.Loss, newConfusion(m.Confusion)
		per := m.PerClass()
		s.PerClass = map[string]catdog.ClassReport{}
		for label, name := range dataset.ClassNames {
			s.PerClass[name] = per[label]
		}
		fmt.Fprintf(t.stdout, "test accuracy %.1f%% (loss %.4f, AUC %s) on %d images never seen in training, model %s\n%s%s",
			100*m.Accuracy, m.Loss, formatAUC(m.AUC), m.Count(), t.path(s.TestModel), confusionText(m.Confusion), classReportText(per))
	}

	if t.o.plots {
		if s.Plots, err = writePlots(t.env.fs, t.o.out, t.history, fpr, tpr, auc); err != nil {
			return err
		}
	}
	s.ElapsedSeconds = time.Since(t.start).Seconds()
	text, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFileFS(t.env.fs, t.path(summaryFile), append(text, '\n'), 0o644); err != nil {
		return err
	}
	files := []string{lastFile, historyFile, summaryFile}
	if t.bestEpoch > 0 {
		files = slices.Insert(files, 0, bestFile)
	}
	files = append(files, s.Plots...)
	fmt.Fprintf(t.stdout, "wrote %s in %s (%.1fs)\n", strings.Join(files, ", "), t.o.out, s.ElapsedSeconds)
	return nil
}

// formatAUC writes an AUC, or says why there is none.
func formatAUC(auc float64) string {
	if math.IsNaN(auc) {
		return "undefined: one class only"
	}
	return fmt.Sprintf("%.4f", auc)
}

// classReportText lays out each class's precision, recall, F1 and support.
func classReportText(per [2]catdog.ClassReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %-8s %9s %9s %9s %9s\n", "class", "precision", "recall", "F1", "support")
	for _, label := range classOrder {
		r := per[label]
		fmt.Fprintf(&b, "  %-8s %9.4f %9.4f %9.4f %9d\n", dataset.ClassNames[label], r.Precision, r.Recall, r.F1, r.Support)
	}
	return b.String()
}

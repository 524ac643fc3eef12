package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/internal/atomicfile"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// epochRecord is one line of history.jsonl. The validation fields are null
// when the run has no validation set.
type epochRecord struct {
	Epoch         int      `json:"epoch"`
	Loss          float64  `json:"loss"`      // mean training loss over the epoch's batches
	TrainAcc      float64  `json:"train_acc"` // on up to trainProbeSize training images, after the epoch
	ValLoss       *float64 `json:"val_loss"`
	ValAcc        *float64 `json:"val_acc"`
	Seconds       float64  `json:"seconds"`       // training time of the epoch, without evaluation
	SamplesPerSec float64  `json:"samples_per_s"` // training images per second
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
func writeHistory(path string, history []epochRecord) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
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
	TestModel    string    `json:"test_model"` // the checkpoint the test ran on
	TestAccuracy *float64  `json:"test_accuracy"`
	TestLoss     *float64  `json:"test_loss"`
	Confusion    confusion `json:"confusion"`

	BestValAccuracy *float64 `json:"best_val_accuracy"`
	BestEpoch       int      `json:"best_epoch"` // 0 without validation
	Epochs          int      `json:"epochs"`
	SamplesPerSec   float64  `json:"samples_per_s"` // over all epochs, resumed ones included

	Device string `json:"device"`
	BLAS   string `json:"blas"`

	Data    string      `json:"data"` // the --data folder, or "synthetic"
	Train   classCounts `json:"train"`
	Val     classCounts `json:"val"`
	Test    classCounts `json:"test"`
	Skipped int         `json:"skipped"` // files left out of --data and --test
	Seed    uint64      `json:"seed"`

	ElapsedSeconds float64 `json:"elapsed_s"` // this invocation, from start to summary
}

// confusion is a confusion matrix that says how to read itself.
type confusion struct {
	Rows    string    `json:"rows"`
	Columns string    `json:"columns"`
	Classes [2]string `json:"classes"` // index i of a row or column is Classes[i]
	Matrix  [2][2]int `json:"matrix"`
}

// finish tests the chosen model, prints the result and writes summary.json.
func (t *trainer) finish() error {
	s := summary{
		Confusion: confusion{Rows: "actual", Columns: "predicted", Classes: dataset.ClassNames},
		BestEpoch: t.bestEpoch, Epochs: t.lastEpoch,
		Device: t.device.Name(), BLAS: cpu.BLAS(),
		Data: t.data.source, Train: countOf(t.data.train), Val: countOf(t.data.val), Test: countOf(t.data.test),
		Skipped: t.data.skipped, Seed: t.o.seed,
	}
	if t.bestEpoch > 0 {
		s.BestValAccuracy = &t.bestVal.Accuracy
		fmt.Fprintf(t.stdout, "best validation accuracy %.1f%% at epoch %d\n", 100*t.bestVal.Accuracy, t.bestEpoch)
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
	if t.data.test.Len() == 0 {
		fmt.Fprintln(t.stdout, "no test set (--test-split 0): no test accuracy")
	} else {
		m, err := t.net.Evaluate(t.data.test)
		if err != nil {
			return err
		}
		s.TestAccuracy, s.TestLoss, s.Confusion.Matrix = &m.Accuracy, &m.Loss, m.Confusion
		fmt.Fprintf(t.stdout, "test accuracy %.1f%% (loss %.4f) on %d images never seen in training, model %s\n%s",
			100*m.Accuracy, m.Loss, m.Count(), t.path(s.TestModel), confusionText(m.Confusion))
	}

	s.ElapsedSeconds = time.Since(t.start).Seconds()
	text, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(t.path(summaryFile), append(text, '\n'), 0o644); err != nil {
		return err
	}
	files := []string{lastFile, historyFile, summaryFile}
	if t.bestEpoch > 0 {
		files = slices.Insert(files, 0, bestFile)
	}
	fmt.Fprintf(t.stdout, "wrote %s in %s (%.1fs)\n", strings.Join(files, ", "), t.o.out, s.ElapsedSeconds)
	return nil
}

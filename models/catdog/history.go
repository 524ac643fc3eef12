package catdog

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
	"path/filepath"

	"github.com/neurone-dl/neurone/graph/optim"
	"github.com/neurone-dl/neurone/internal/atomicfile"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// HistoryFile is the file in a run's folder that holds one EpochRecord,
// as a line of JSON, per epoch trained.
const HistoryFile = "history.jsonl"

// EpochRecord is what one epoch of a run measured: a line of
// HistoryFile. Val is nil when the run has no validation set.
type EpochRecord struct {
	Epoch        int     `json:"epoch"`
	LearningRate float64 `json:"lr"` // the rate of the epoch's first step (of all of them, unless the schedule is per step)
	// MeanBatchLoss is the mean of the training batches' losses over the
	// epoch, each taken as its batch was trained (augmented, before the
	// step's update), not the loss of the trained model: that is Train's.
	MeanBatchLoss float64        `json:"mean_batch_loss"`
	Train         MetricsRecord  `json:"train"`
	Val           *MetricsRecord `json:"val"`
	Seconds       float64        `json:"seconds"`       // training time of the epoch, without evaluation
	SamplesPerSec float64        `json:"samples_per_s"` // training images per second
}

// UnmarshalJSON reads a line of HistoryFile, also as builds before
// mean_batch_loss wrote it, under "loss".
func (r *EpochRecord) UnmarshalJSON(data []byte) error {
	type record EpochRecord // without this method
	var v struct {
		record
		OldLoss *float64 `json:"loss"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*r = EpochRecord(v.record)
	if v.OldLoss != nil {
		r.MeanBatchLoss = *v.OldLoss
	}
	return nil
}

// MetricsRecord is Metrics as the history gives them: measured after the
// epoch without augmentation, on the validation set or on up to
// TrainProbeSize training images. AUC is nil when the images are all of
// one class.
type MetricsRecord struct {
	Loss      float64  `json:"loss"`
	Accuracy  float64  `json:"accuracy"`
	Precision float64  `json:"precision"` // of cat, the positive class
	Recall    float64  `json:"recall"`
	F1        float64  `json:"f1"`
	AUC       *float64 `json:"auc"`
}

// Record returns m as a MetricsRecord.
func (m Metrics) Record() MetricsRecord {
	r := MetricsRecord{Loss: m.Loss, Accuracy: m.Accuracy, Precision: m.Precision, Recall: m.Recall, F1: m.F1}
	if !math.IsNaN(m.AUC) {
		auc := m.AUC
		r.AUC = &auc
	}
	return r
}

// ReadHistory reads a HistoryFile, keeping the epochs up to through
// (those after it belong to an epoch whose checkpoint was not written). A
// missing file is an empty history.
func ReadHistory(path string, through int) ([]EpochRecord, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []EpochRecord
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r EpochRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if r.Epoch <= through {
			out = append(out, r)
		}
	}
	return out, sc.Err()
}

// writeHistory replaces a HistoryFile atomically with one line per record.
func writeHistory(fsys atomicfile.FS, path string, history []EpochRecord) error {
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

// EpochsWithoutImprovement counts the epochs at the end of history since
// the validation loss last fell more than minDelta below the best before
// it (the first epoch always improves). Epochs without a validation loss
// count as improving. Early stopping (RunOptions.Patience) ends a run
// when the count reaches its patience; it reads the history alone, so a
// resumed run decides as an uninterrupted one.
func EpochsWithoutImprovement(history []EpochRecord, minDelta float64) int {
	best, since := math.Inf(1), 0
	for _, r := range history {
		if r.Val == nil || r.Val.Loss < best-minDelta {
			if r.Val != nil {
				best = r.Val.Loss
			}
			since = 0
			continue
		}
		since++
	}
	return since
}

// SavedRun is a training run saved in a folder by Run: what Resume
// continues.
type SavedRun struct {
	Dir string
	// Last is the metadata of checkpoint.LastFile, the model after the
	// epoch the run continues from; it fixes the model, the optimizer,
	// the schedule, the batch size, the seed and the augmentation.
	Last Meta
	// History is the run's HistoryFile up to Last.Epoch.
	History []EpochRecord
	// Best is the metadata of checkpoint.BestFile, or nil when there is
	// none (a run without validation).
	Best *Meta

	tensors []checkpoint.Tensor // of Last
}

// ReadRun reads the run saved in dir. Without a checkpoint.LastFile in
// dir, the error wraps fs.ErrNotExist.
func ReadRun(dir string) (*SavedRun, error) {
	last := filepath.Join(dir, checkpoint.LastFile)
	meta, ts, err := ReadMeta(last)
	if err != nil {
		return nil, err
	}
	s := &SavedRun{Dir: dir, Last: meta, tensors: ts}
	if s.History, err = ReadHistory(filepath.Join(dir, HistoryFile), meta.Epoch); err != nil {
		return nil, err
	}
	if best, _, err := ReadMeta(filepath.Join(dir, checkpoint.BestFile)); err == nil {
		s.Best = &best
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return s, nil
}

// PlannedEpochs returns the number of epochs the run of m is to train in
// all: as recorded (Epochs), or for checkpoints older than that, its
// cosine schedule's span, or else 0.
func (m Meta) PlannedEpochs() int {
	switch {
	case m.Epochs > 0:
		return m.Epochs
	case m.Schedule.Kind == optim.ScheduleCosine && m.Schedule.Epochs > 0:
		return m.Schedule.Epochs
	}
	return 0
}

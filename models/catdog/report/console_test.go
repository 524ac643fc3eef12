package report

import (
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// TestEpochLine checks the console line of an epoch: its number padded to
// the run's, the validation figures when there are some (an AUC of one
// class shown as NaN), and the best-model mark.
func TestEpochLine(t *testing.T) {
	rec := catdog.EpochRecord{Epoch: 3, LearningRate: 0.001, MeanBatchLoss: 0.25, Train: catdog.MetricsRecord{Accuracy: 0.9}, SamplesPerSec: 1234, Seconds: 2}
	line := EpochLine(catdog.Progress{Epochs: 12, Record: &rec})
	if want := "epoch  3/12  lr 0.001  batch loss (epoch mean) 0.2500  train acc  90.0%  1234 img/s  2.0s"; line != want {
		t.Errorf("epoch line\n%q, want\n%q", line, want)
	}
	rec.Val = &catdog.MetricsRecord{Loss: 0.5, Accuracy: 0.8, F1: 0.75}
	line = EpochLine(catdog.Progress{Epochs: 9, Record: &rec, SavedBest: true})
	for _, want := range []string{"epoch 3/9", "val loss 0.5000  val acc  80.0%  val F1 0.750  val AUC NaN", "saved best"} {
		if !strings.Contains(line, want) {
			t.Errorf("epoch line %q lacks %q", line, want)
		}
	}
}

// TestPrintResult checks the report of a run's end: the best epoch, early
// stopping, and the test with the model it ran on, or that there is none.
func TestPrintResult(t *testing.T) {
	probs, labels := []float32{0.9, 0.8, 0.2, 0.6}, []uint8{dataset.Cat, dataset.Cat, dataset.Dog, dataset.Dog}
	m := catdog.Score(probs, labels)
	res := &catdog.Result{LastEpoch: 5, BestEpoch: 3, BestVal: catdog.MetricsRecord{Loss: 0.4, Accuracy: 0.85}, StoppedEarly: true,
		TestModel: "best.safetensors", Test: &m}
	var b strings.Builder
	PrintResult(&b, res, "run1")
	for _, want := range []string{"best validation loss 0.4000 (accuracy 85.0%) at epoch 3", "stopped early after epoch 5",
		"test accuracy 75.0%", "on 4 images never seen in training, model run1/best.safetensors", "confusion matrix", "precision"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	PrintResult(&b, &catdog.Result{LastEpoch: 2}, "run1")
	if got, want := b.String(), "no test set (--test-split 0): no test accuracy\n"; got != want {
		t.Errorf("report without test or validation %q, want %q", got, want)
	}
}

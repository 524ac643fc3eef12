package report

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"

	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// PrintStart writes what a run's RunStarted reports, with optimizer, the
// method the run trains with: the model, whether there is validation,
// and the epochs left to train of the run in dir.
func PrintStart(w io.Writer, p catdog.Progress, optimizer fmt.Stringer, hasVal bool, dir string) {
	n := p.Network
	fmt.Fprintf(w, "model: %s, %s optimizer, learning rate %g (%s), batch %d, augmentation %s, TF32 %s, pixels %s\n%s\n",
		n.Config.Arch, optimizer, n.Rate.Base, n.Rate.Schedule, n.Batch, n.Augment, onOff(n.Config.TF32), n.Config.Pixels, n.Summary())
	if !hasVal {
		fmt.Fprintf(w, "no validation set (--val 0): %s is not written, and the test uses the last epoch's model\n", checkpoint.BestFile)
	}
	switch {
	case p.StoppedEarly:
		fmt.Fprintf(w, "the run in %s stopped early after epoch %d: nothing to train\n", dir, p.Epoch-1)
	case p.Epoch > p.Epochs:
		fmt.Fprintf(w, "%s is at epoch %d of --epochs %d: nothing to train\n", checkpoint.LastFile, p.Epoch-1, p.Epochs)
	default:
		fmt.Fprintf(w, "training epochs %d to %d: %d batches of %d images per epoch, in a new order each epoch\n",
			p.Epoch, p.Epochs, p.Steps, n.Batch)
	}
}

// EpochLine returns the console line of what an EpochDone measured.
func EpochLine(p catdog.Progress) string {
	r := p.Record
	width := len(strconv.Itoa(p.Epochs))
	line := fmt.Sprintf("epoch %*d/%d  lr %.3g  batch loss (epoch mean) %.4f  train acc %5.1f%%", width, r.Epoch, p.Epochs, r.LearningRate, r.MeanBatchLoss, 100*r.Train.Accuracy)
	if v := r.Val; v != nil {
		auc := math.NaN()
		if v.AUC != nil {
			auc = *v.AUC
		}
		line += fmt.Sprintf("  val loss %.4f  val acc %5.1f%%  val F1 %.3f  val AUC %.3f", v.Loss, 100*v.Accuracy, v.F1, auc)
	}
	mark := ""
	if p.SavedBest {
		mark = "  saved best"
	}
	return fmt.Sprintf("%s  %.0f img/s  %.1fs%s", line, r.SamplesPerSec, r.Seconds, mark)
}

// PrintResult writes the best epoch of res, the run in dir, whether it
// stopped early, and its test: accuracy, loss, AUC, confusion matrix and
// per-class scores.
func PrintResult(w io.Writer, res *catdog.Result, dir string) {
	if res.BestEpoch > 0 {
		fmt.Fprintf(w, "best validation loss %.4f (accuracy %.1f%%) at epoch %d\n", res.BestVal.Loss, 100*res.BestVal.Accuracy, res.BestEpoch)
	}
	if res.StoppedEarly && res.BestEpoch > 0 {
		fmt.Fprintf(w, "stopped early after epoch %d; the best weights, of epoch %d, are restored from %s for the test\n",
			res.LastEpoch, res.BestEpoch, checkpoint.BestFile)
	}
	m := res.Test
	if m == nil {
		fmt.Fprintln(w, "no test set (--test-split 0): no test accuracy")
		return
	}
	mirror := ""
	if res.Config.Mirror {
		mirror = " (P(cat) averaged with the mirror image's)"
	}
	fmt.Fprintf(w, "test accuracy %.1f%% (loss %.4f, AUC %s) on %d images never seen in training%s, model %s\n%s%s",
		100*m.Accuracy, m.Loss, FormatAUC(m.AUC), m.Count(), mirror, filepath.Join(dir, res.TestModel), ConfusionText(m.Confusion), ClassText(m.PerClass()))
}

// onOff says whether a setting is on.
func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

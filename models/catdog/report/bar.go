package report

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/neurone-dl/neurone/models/catdog"
)

// Bar is a progress bar, for a terminal, over the images of each epoch
// under way, with the running mean of its batch losses. A nil *Bar
// (no terminal) does nothing.
type Bar struct {
	W       io.Writer // the terminal
	Batch   int       // images per step
	bar     *progressbar.ProgressBar
	lossSum float64 // of the epoch's batches so far
}

// Step moves the bar to the training step p reports (catdog.StepDone),
// starting a bar at an epoch's first.
func (b *Bar) Step(p catdog.Progress) {
	if b == nil {
		return
	}
	desc := fmt.Sprintf("epoch %d/%d", p.Epoch, p.Epochs)
	if b.bar == nil {
		b.bar = progressbar.NewOptions(p.Steps*b.Batch, progressbar.OptionSetWriter(b.W), progressbar.OptionSetDescription(desc),
			progressbar.OptionSetWidth(30), progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("img"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		b.lossSum = 0
	}
	b.lossSum += p.Loss
	b.bar.Describe(fmt.Sprintf("%s  batch loss (running mean) %.4f", desc, b.lossSum/float64(p.Step)))
	b.bar.Set(p.Step * b.Batch)
}

// EndEpoch clears the bar of the epoch that ended.
func (b *Bar) EndEpoch() {
	if b != nil && b.bar != nil {
		b.bar.Finish()
		b.bar = nil
	}
}

// Exit leaves the bar of an epoch that the run ended in (an error, an
// interruption) as it stands, and ends its line.
func (b *Bar) Exit() {
	if b != nil && b.bar != nil {
		b.bar.Exit()
		fmt.Fprintln(b.W)
	}
}

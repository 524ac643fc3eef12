package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/report"
)

// TestBar checks that the bar shows the epoch, its images (steps times
// the batch) and the mean batch loss, and that a nil bar does nothing.
// (The bar redraws at most every 100 ms: only the first step is drawn.)
func TestBar(t *testing.T) {
	var nilBar *report.Bar
	nilBar.Step(catdog.Progress{Epoch: 1, Epochs: 2, Step: 1, Steps: 4, Loss: 1})
	nilBar.EndEpoch()
	nilBar.Exit()

	var w bytes.Buffer
	b := &report.Bar{W: &w, Batch: 8}
	b.Step(catdog.Progress{Event: catdog.StepDone, Epoch: 1, Epochs: 2, Step: 1, Steps: 4, Loss: 1})
	b.Exit()
	if got := w.String(); !strings.Contains(got, "epoch 1/2") || !strings.Contains(got, "batch loss (running mean) 1.0000") || !strings.Contains(got, "/32,") {
		t.Errorf("the bar shows %q", got)
	}
}

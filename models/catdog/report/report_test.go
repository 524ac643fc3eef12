package report

import (
	"slices"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
)

// TestReportsListCatFirst checks that the confusion matrix, on the console
// and in summary.json, and the per-class report list the classes in one
// order, cat (the class the network's output is the probability of) first,
// and say so.
func TestReportsListCatFirst(t *testing.T) {
	var c [2][2]int // [actual][predicted], by label
	c[dataset.Cat][dataset.Cat], c[dataset.Cat][dataset.Dog] = 5, 1
	c[dataset.Dog][dataset.Cat], c[dataset.Dog][dataset.Dog] = 2, 7
	text := ConfusionText(c)
	var rows []string
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, "  ") {
			rows = append(rows, strings.Join(strings.Fields(line), " "))
		}
	}
	if want := []string{"cat dog", "cat 5 1", "dog 2 7"}; !slices.Equal(rows, want) {
		t.Errorf("confusion matrix rows %q, want %q:\n%s", rows, want, text)
	}
	if !strings.Contains(text, "rows: actual") || !strings.Contains(text, "columns: predicted") {
		t.Errorf("confusion matrix does not say how to read it:\n%s", text)
	}

	report := ClassText([2]catdog.ClassReport{})
	if i, j := strings.Index(report, "\n  cat "), strings.Index(report, "\n  dog "); i < 0 || j < i {
		t.Errorf("per-class report, want cat then dog:\n%s", report)
	}

	s := NewConfusion(c)
	if s.Classes != [2]string{"cat", "dog"} || s.Matrix != [2][2]int{{5, 1}, {2, 7}} || s.Rows != "actual" || s.Columns != "predicted" {
		t.Errorf("summary.json's confusion %+v, want classes cat, dog and matrix [[5 1] [2 7]]", s)
	}
}

// TestROCLegendGivesTheAUC checks that the ROC plot's legend names the
// curve's area under it, the number the console and summary.json give.
func TestROCLegendGivesTheAUC(t *testing.T) {
	history := []catdog.EpochRecord{{Epoch: 1, Train: catdog.MetricsRecord{Loss: 0.5, Accuracy: 0.8}}}
	fpr, tpr := []float64{0, 0, 1}, []float64{0, 1, 1}
	for _, c := range plotCharts(history, fpr, tpr, 0.99875) {
		if c.file != ROCPlot {
			continue
		}
		if got, want := c.lines[0].name, "model (AUC 0.9988)"; got != want {
			t.Errorf("the ROC curve's legend says %q, want %q", got, want)
		}
		return
	}
	t.Errorf("no %s among the charts", ROCPlot)
}

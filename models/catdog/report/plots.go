package report

import (
	"fmt"
	"image/color"
	"io"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/neurone-dl/neurone/internal/atomicfile"
	"github.com/neurone-dl/neurone/models/catdog"
)

// Plot files in a run's folder.
const (
	LossPlot     = "loss.png"
	AccuracyPlot = "accuracy.png"
	ROCPlot      = "roc.png"
)

// plotWidth and plotHeight are the size of every plot.
const (
	plotWidth  = 6 * vg.Inch
	plotHeight = 4 * vg.Inch
)

// chart is one plot file.
type chart struct {
	file, title, x, y string
	lines             []series
	// legendTop puts the legend top right, clear of curves that fall (a
	// loss); otherwise it goes bottom right, clear of curves that rise.
	legendTop bool
}

// series is one line of a plot.
type series struct {
	name   string
	points plotter.XYs
	colour color.Color
	style  lineStyle
}

// lineStyle says how a series is drawn.
type lineStyle int

const (
	withMarkers lineStyle = iota // a point on each value: the per-epoch curves
	plain                        // a line only: many points, as on a ROC curve
	dashed                       // a dashed line: a reference, such as chance
)

var (
	trainColour = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	valColour   = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	greyColour  = color.Gray{Y: 0x99}
)

// WritePlots draws the loss and accuracy curves of history (training and
// validation, per epoch) and, when fpr is not nil, the test set's ROC
// curve, whose area is auc, into dir; it returns the names of the files
// written. Each file is written atomically.
func WritePlots(fsys atomicfile.FS, dir string, history []catdog.EpochRecord, fpr, tpr []float64, auc float64) ([]string, error) {
	if len(history) == 0 {
		return nil, nil
	}
	return drawCharts(fsys, dir, plotCharts(history, fpr, tpr, auc))
}

// plotCharts lays out the plots of WritePlots.
func plotCharts(history []catdog.EpochRecord, fpr, tpr []float64, auc float64) []chart {
	curve := func(value func(r catdog.EpochRecord) (float64, bool)) plotter.XYs {
		var xy plotter.XYs
		for _, r := range history {
			if v, ok := value(r); ok {
				xy = append(xy, plotter.XY{X: float64(r.Epoch), Y: v})
			}
		}
		return xy
	}
	trainLoss := curve(func(r catdog.EpochRecord) (float64, bool) { return r.Train.Loss, true })
	valLoss := curve(func(r catdog.EpochRecord) (float64, bool) {
		return valOf(r, func(m catdog.MetricsRecord) float64 { return m.Loss })
	})
	trainAcc := curve(func(r catdog.EpochRecord) (float64, bool) { return 100 * r.Train.Accuracy, true })
	valAcc := curve(func(r catdog.EpochRecord) (float64, bool) {
		return valOf(r, func(m catdog.MetricsRecord) float64 { return 100 * m.Accuracy })
	})

	plots := []chart{
		{LossPlot, "Loss (cross-entropy)", "epoch", "loss", []series{
			{"train", trainLoss, trainColour, withMarkers}, {"validation", valLoss, valColour, withMarkers}}, true},
		{AccuracyPlot, "Accuracy", "epoch", "accuracy (%)", []series{
			{"train", trainAcc, trainColour, withMarkers}, {"validation", valAcc, valColour, withMarkers}}, false},
	}
	if fpr != nil {
		roc := make(plotter.XYs, len(fpr))
		for i := range fpr {
			roc[i] = plotter.XY{X: fpr[i], Y: tpr[i]}
		}
		plots = append(plots, chart{ROCPlot, "ROC curve of the test set (cat positive)", "false positive rate", "true positive rate", []series{
			{"model (AUC " + FormatAUC(auc) + ")", roc, trainColour, plain}, {"chance", plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}, greyColour, dashed}}, false})
	}
	return plots
}

// drawCharts writes each chart into its file in dir, and returns the names
// of the files written.
func drawCharts(fsys atomicfile.FS, dir string, plots []chart) ([]string, error) {
	var written []string
	for _, pl := range plots {
		p := plot.New()
		p.Title.Text, p.X.Label.Text, p.Y.Label.Text = pl.title, pl.x, pl.y
		p.Add(plotter.NewGrid())
		for _, s := range pl.lines {
			if len(s.points) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(s.points)
			if err != nil {
				return written, fmt.Errorf("plot %s: %w", pl.file, err)
			}
			line.Color, points.Color = s.colour, s.colour
			points.Shape = draw.CircleGlyph{}
			p.Add(line)
			switch s.style {
			case withMarkers:
				p.Add(points)
			case dashed:
				line.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
			}
			p.Legend.Add(s.name, line)
		}
		p.Legend.XOffs, p.Legend.YOffs = -vg.Points(8), vg.Points(8)
		if pl.legendTop {
			p.Legend.Top, p.Legend.YOffs = true, -vg.Points(8)
		}
		if pl.file == ROCPlot {
			p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
		} else {
			p.X.Tick.Marker = integerTicks{}
		}
		w, err := p.WriterTo(plotWidth, plotHeight, "png")
		if err != nil {
			return written, fmt.Errorf("plot %s: %w", pl.file, err)
		}
		err = atomicfile.WriteFS(fsys, filepath.Join(dir, pl.file), 0o644, func(f io.Writer) error {
			_, err := w.WriteTo(f)
			return err
		})
		if err != nil {
			return written, err
		}
		written = append(written, pl.file)
	}
	return written, nil
}

// valOf reads a validation metric, if the epoch has one.
func valOf(r catdog.EpochRecord, metric func(catdog.MetricsRecord) float64) (float64, bool) {
	if r.Val == nil {
		return 0, false
	}
	return metric(*r.Val), true
}

// integerTicks marks whole epochs only.
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Value == float64(int(t.Value)) {
			ticks = append(ticks, t)
		} else if t.Label != "" {
			t.Label = ""
			ticks = append(ticks, t)
		}
	}
	return ticks
}

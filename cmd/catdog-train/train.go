package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/cmd/internal/cli"
	"github.com/neurone-dl/neurone/models/catdog"
	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/catdog/report"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// Files in --out.
const (
	lastFile    = checkpoint.LastFile
	bestFile    = checkpoint.BestFile
	historyFile = catdog.HistoryFile
	summaryFile = report.SummaryFile
)

// dataFlags are the flags that catdog.DataSettings records, for the
// warning about checkpoints that predate it.
const dataFlags = "--data, --synthetic, --test, --test-split and --val"

// trainer is one run of the command: it prepares --out, loads the data,
// hands the training to catdog.Run (or Resume) and reports.
type trainer struct {
	o              *options
	env            env
	stdout, stderr io.Writer
	start          time.Time

	comm      comm.Communicator // under mpirun (mpi.go); nil alone
	lock      *catdog.DirLock   // on --out, while the run writes there
	madeOut   []string          // the folders of --out this run created, the deepest first
	saved     *catdog.SavedRun  // the run resumed, or nil
	data      *catdog.Data
	lastEpoch int                      // the epoch last.safetensors holds; 0 before the first
	bar       *progressbar.ProgressBar // over the epoch under way, on a terminal
	lossSum   float64                  // of the epoch's batches so far
}

func (t *trainer) path(name string) string { return filepath.Join(t.o.out, name) }

func (t *trainer) run(ctx context.Context) error {
	t.start = time.Now()
	defer func() { t.lock.Release() }() // t.lock is set by prepareOut
	if err := t.prepareOut(); err != nil {
		return err
	}
	opt, err := t.o.RunOptions()
	if err != nil {
		return err
	}
	if opt.Backend, err = cli.OpenDevice(t.o.device, t.stdout); err != nil {
		return err
	}
	defer opt.Backend.Close()
	d, err := t.o.LoadData(dataset.Options{Workers: t.o.workers, CacheDir: t.o.cache}, t.stdout)
	if err != nil {
		return err
	}
	if n := d.Train.Len(); n < t.o.Batch {
		return fmt.Errorf("%d training images do not fill one batch of %d; use a smaller --batch or more data", n, t.o.Batch)
	}
	t.data = d
	if err := ctx.Err(); err != nil {
		return err
	}
	cli.TuneBLAS(opt.Backend, t.o.Arch == catdog.ArchCNN, t.stdout)
	opt.Dir, opt.Lock, opt.FS, opt.Train, opt.Val, opt.Test, opt.Comm = t.o.out, t.lock, t.env.fs, d.Train, d.Val, d.Test, t.comm
	var res *catdog.Result
	if t.saved != nil {
		res, err = catdog.Resume(ctx, t.saved, opt, t.progress)
	} else {
		res, err = catdog.Run(ctx, opt, t.progress)
	}
	if t.bar != nil {
		t.bar.Exit()
		fmt.Fprintln(t.stderr)
	}
	if err != nil || t.follower() {
		return err
	}
	return t.finish(res, d)
}

// prepareOut creates --out, early, so that a folder that cannot be made
// is found before the data is loaded (removeEmptyOut takes it back if the
// run fails before writing into it), or, with --resume, reads the run to
// continue there. Without --resume it refuses to overwrite a run there.
// Either way it locks the folder for the rest of the run: a second
// catdog-train on it is refused while this one runs.
func (t *trainer) prepareOut() error {
	if t.follower() {
		return t.prepareFollower()
	}
	o := t.o
	var err error
	if !o.Resume {
		if t.madeOut, err = makeDirs(o.out); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	// Locked first, so that a run still writing there is named as such.
	if info, err := os.Stat(o.out); err == nil && info.IsDir() {
		if t.lock, err = catdog.LockDir(o.out); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	if !o.Resume {
		if _, err := os.Stat(t.path(lastFile)); err == nil {
			return cli.Usagef("--out", "%s already holds a training run (%s); add --resume to continue it, or choose another --out", o.out, lastFile)
		}
		if err := os.Remove(t.path(summaryFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("--out: %w", err)
		}
		return nil
	}
	if t.saved, err = catdog.ReadRun(o.out); errors.Is(err, fs.ErrNotExist) {
		return cli.Usagef("--resume", "%s holds no %s to resume from", o.out, lastFile)
	} else if err != nil {
		return fmt.Errorf("--resume: %w", err)
	}
	meta := t.saved.Last
	if err := t.saved.CheckRanks(t.comm); err != nil { // before loading the data
		return fmt.Errorf("--resume: %w", err)
	}
	if err := t.saved.Merge(&o.Settings); err != nil {
		if catdog.IsSettingError(err) {
			return err
		}
		return fmt.Errorf("--resume: %w", err)
	}
	fmt.Fprintf(t.stdout, "resuming %s after epoch %d, with its settings: %s --epochs %d%s\n",
		t.path(lastFile), meta.Epoch, &o.Settings, o.Epochs, t.saved.EpochsNote(&o.Settings))
	if meta.Data == nil {
		fmt.Fprintf(t.stderr, "catdog-train: warning: the data settings could not be checked: %s predates their recording in checkpoints;\n"+
			"  %s are taken as given (or their defaults), and must be the run's for it to continue on the same images\n", t.path(lastFile), dataFlags)
	}
	t.lastEpoch = meta.Epoch
	return nil
}

// makeDirs creates dir and its missing parents, and returns the folders
// it created, the deepest first.
func makeDirs(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	return missing, os.MkdirAll(dir, 0o755)
}

// removeEmptyOut removes the folders of --out that this run created and
// left empty, after a failure: a run that wrote nothing leaves nothing.
func (t *trainer) removeEmptyOut() {
	for _, d := range t.madeOut {
		// os.Remove takes only an empty folder; stop at the first that
		// holds something, or that is no longer a folder.
		if info, err := os.Lstat(d); err != nil || !info.IsDir() || os.Remove(d) != nil {
			return
		}
	}
}

// progress prints what the run reports: the model, a progress bar over
// each epoch when stderr is a terminal, and a line per epoch.
func (t *trainer) progress(p catdog.Progress) {
	switch p.Event {
	case catdog.RunStarted:
		report.PrintStart(t.stdout, p, t.o.Optimizer, t.data.Val.Len() > 0, t.o.out)
	case catdog.StepDone:
		t.step(p)
	case catdog.EpochDone:
		if t.bar != nil {
			t.bar.Finish()
			t.bar = nil
		}
		t.lastEpoch = p.Epoch
		fmt.Fprintln(t.stdout, report.EpochLine(p))
		if p.StoppedEarly {
			fmt.Fprintf(t.stdout, "early stopping: the validation loss has not fallen more than --min-delta %g below its best for --patience %d epochs\n",
				t.o.MinDelta, t.o.Patience)
		}
	}
}

// step moves the progress bar, when stderr is a terminal.
func (t *trainer) step(p catdog.Progress) {
	if !cli.IsTerminal(t.stderr) {
		return
	}
	desc := fmt.Sprintf("epoch %d/%d", p.Epoch, p.Epochs)
	if t.bar == nil {
		t.bar = progressbar.NewOptions(p.Steps*t.o.Batch, progressbar.OptionSetWriter(t.stderr), progressbar.OptionSetDescription(desc),
			progressbar.OptionSetWidth(30), progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("img"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		t.lossSum = 0
	}
	t.lossSum += p.Loss
	t.bar.Describe(fmt.Sprintf("%s  batch loss (running mean) %.4f", desc, t.lossSum/float64(p.Step)))
	t.bar.Set(p.Step * t.o.Batch)
}

// finish prints the test of the chosen model, draws the plots and writes
// summary.json.
func (t *trainer) finish(res *catdog.Result, d *catdog.Data) error {
	s := report.NewSummary(res)
	s.BLAS, s.Data, s.DataSettings, s.Skipped = cpu.BLAS(), d.Source, res.Data, d.Skipped
	s.Train, s.Val, s.TestSize = report.CountOf(d.Train), report.CountOf(d.Val), report.CountOf(d.Test)
	report.PrintResult(t.stdout, res, t.o.out)
	var fpr, tpr []float64
	auc := 0.0
	if res.Test != nil {
		fpr, tpr = catdog.ROC(res.TestProbs, d.Test.Labels)
		auc = res.Test.AUC
	}
	var err error
	if t.o.plots {
		if s.Plots, err = report.WritePlots(t.env.fs, t.o.out, res.History, fpr, tpr, auc); err != nil {
			return err
		}
	}
	s.ElapsedSeconds = time.Since(t.start).Seconds()
	if err := s.Write(t.env.fs, t.path(summaryFile)); err != nil {
		return err
	}
	files := []string{lastFile, historyFile, summaryFile}
	if res.BestEpoch > 0 {
		files = slices.Insert(files, 0, bestFile)
	}
	files = append(files, s.Plots...)
	fmt.Fprintf(t.stdout, "wrote %s in %s (%.1fs)\n", strings.Join(files, ", "), t.o.out, s.ElapsedSeconds)
	return nil
}

// whereToResume says, after an interruption, what is saved and how to go on.
func (t *trainer) whereToResume() string {
	if t.lastEpoch == 0 {
		return " before the first epoch ended; no checkpoint was written"
	}
	args := slices.Clone(t.o.args)
	if !t.o.Resume {
		args = append(args, "--resume")
	}
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`*?[]{}()<>|&;#~") {
			args[i] = strconv.Quote(a)
		}
	}
	return fmt.Sprintf("; the model after epoch %d is in %s\nto continue: catdog-train %s", t.lastEpoch, t.path(lastFile), strings.Join(args, " "))
}

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

	"github.com/neurone-dl/neurone/backend"
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
	madeOut   catdog.MadeDirs   // the folders of --out this run created
	saved     *catdog.SavedRun  // the run resumed, or nil
	data      *catdog.Data
	lastEpoch int         // the epoch last.safetensors holds; 0 before the first
	bar       *report.Bar // when stderr is a terminal; nil otherwise
}

func (t *trainer) path(name string) string { return filepath.Join(t.o.out, name) }

func (t *trainer) run(ctx context.Context) error {
	t.start = time.Now()
	defer func() { t.lock.Release() }() // t.lock is set by prepareOut
	if err := t.prepareOut(); err != nil {
		return err
	}
	dev, err := cli.OpenDevice(t.o.device, t.stdout)
	if err != nil {
		return err
	}
	defer dev.Close()
	if err := t.gpuRecipe(dev); err != nil {
		return err
	}
	opt, err := t.o.RunOptions()
	if err != nil {
		return err
	}
	opt.Backend = dev
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
	if cli.IsTerminal(t.stderr) {
		t.bar = &report.Bar{W: t.stderr, Batch: t.o.Batch}
	}
	var res *catdog.Result
	if t.saved != nil {
		res, err = catdog.Resume(ctx, t.saved, opt, t.progress)
	} else {
		res, err = catdog.Run(ctx, opt, t.progress)
	}
	t.bar.Exit()
	if err != nil || t.follower() {
		return err
	}
	out := report.Output{W: t.stdout, FS: t.env.fs, Dir: t.o.out, Plots: t.o.plots, BLAS: cpu.BLAS(), Start: t.start}
	return out.Finish(res, d)
}

// gpuRecipe gives the flags left out the photo recipe for a GPU when dev
// is one and that recipe differs from the CPU's, which parseFlags gave
// them, and says so.
func (t *trainer) gpuRecipe(dev backend.Backend) error {
	if !cli.OnGPU(dev) || t.o.Data == "" || t.o.Resume {
		return nil
	}
	cpuR, err := catdog.PhotoRecipeFor(t.o.Arch, false)
	if err != nil {
		return err
	}
	if gpuR, _ := catdog.PhotoRecipeFor(t.o.Arch, true); gpuR.String() == cpuR.String() {
		return nil
	}
	t.o.ApplyPhotoRecipe(true)
	fmt.Fprintf(t.stdout, "on a GPU: the flags left out take the %s photo recipe for a GPU (catdog-train -h lists it)\n", t.o.Arch)
	return t.o.Validate()
}

// prepareOut creates --out, early, so that a folder that cannot be made
// is found before the data is loaded (main takes it back if the
// run fails before writing into it), or, with --resume, reads the run to
// continue there. Without --resume it refuses to overwrite a run there.
// Either way it locks the folder for the rest of the run: a second
// catdog-train on it is refused while this one runs.
func (t *trainer) prepareOut() error {
	if t.follower() { // writes nothing: with --resume, reads the run (mpi.go)
		if !t.o.Resume {
			return nil
		}
		return t.readRun()
	}
	o := t.o
	var err error
	if !o.Resume {
		if t.madeOut, err = catdog.MakeDirs(o.out); err != nil {
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
	if err := t.readRun(); err != nil {
		return err
	}
	meta := t.saved.Last
	fmt.Fprintf(t.stdout, "resuming %s after epoch %d, with its settings: %s --epochs %d%s\n",
		t.path(lastFile), meta.Epoch, &o.Settings, o.Epochs, t.saved.EpochsNote(&o.Settings))
	if meta.Data == nil {
		fmt.Fprintf(t.stderr, "catdog-train: warning: the data settings could not be checked: %s predates their recording in checkpoints;\n"+
			"  %s are taken as given (or their defaults), and must be the run's for it to continue on the same images\n", t.path(lastFile), dataFlags)
	}
	t.lastEpoch = meta.Epoch
	return nil
}

// readRun reads the run in --out to resume, checks that this run's
// processes can continue it, before the data is loaded, and merges the
// settings with its own (catdog.PrepareResume).
func (t *trainer) readRun() error {
	var err error
	t.saved, err = catdog.PrepareResume(t.o.out, t.comm, &t.o.Settings)
	switch {
	case t.saved == nil && t.follower():
		return fmt.Errorf("--resume: every process reads the run in --out: %w", err)
	case t.saved == nil && errors.Is(err, fs.ErrNotExist):
		return cli.Usagef("--resume", "%s holds no %s to resume from", t.o.out, lastFile)
	case err == nil, catdog.IsSettingError(err):
		return err
	}
	return fmt.Errorf("--resume: %w", err)
}

// progress prints what the run reports: the model, a progress bar over
// each epoch when stderr is a terminal, and a line per epoch.
func (t *trainer) progress(p catdog.Progress) {
	switch p.Event {
	case catdog.RunStarted:
		report.PrintStart(t.stdout, p, t.o.Optimizer, t.data.Val.Len() > 0, t.o.out)
	case catdog.StepDone:
		t.bar.Step(p)
	case catdog.EpochDone:
		t.bar.EndEpoch()
		t.lastEpoch = p.Epoch
		fmt.Fprintln(t.stdout, report.EpochLine(p))
		if p.StoppedEarly {
			fmt.Fprintf(t.stdout, "early stopping: the validation loss has not fallen more than --min-delta %g below its best for --patience %d epochs\n",
				t.o.MinDelta, t.o.Patience)
		}
	}
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

// Command catdog-train trains Neurone's cat/dog classifiers on 100x100
// grayscale images, whose output is one sigmoid neuron read as P(cat):
// --model mlp6 (the default), a perceptron of five ReLU layers (--hidden),
// or --model cnn, a small convolutional network: convolution and
// max-pooling blocks (--filters, three by default), dense layers (--hidden,
// one by default) and dropout. The defaults (adam at 0.001, 10 epochs, batch 64) suit both. --tf32
// lets the CUDA backend use TensorFloat-32 matrix products; the CPU
// ignores it, and summary.json records it.
//
// Usage:
//
//	catdog-train [flags]                 train on the built-in synthetic set
//	catdog-train --data DIR [flags]      train on the photos in DIR
//	catdog-train --out DIR --resume      continue an interrupted run
//
// DIR holds class folders (DIR/cat and DIR/dog in any letter case, as in
// Microsoft's PetImages) or Kaggle's flat cat.N.jpg and dog.N.jpg files.
// Files that cannot be used (corrupt, empty, not images) are skipped and
// listed. Without --data, a synthetic set of drawn cats and dogs stands in
// for photos, so the command runs anywhere; it says so when it runs.
//
// The images are split, stratified by class and seeded by --seed, into a
// test set (--test DIR, or a --test-split hold-out), a validation set
// (--val of the rest) and the training set. The test set is used once, at
// the end, on the model that did best on validation.
//
// Each epoch runs at the learning rate of --lr-schedule (none, cosine or
// step, after an optional --warmup), set at the start of the epoch; with
// --augment every training image is mirrored, shifted, rotated and zoomed
// at random, drawn anew each epoch from --seed, the epoch and the image.
// With --patience N, training stops once N epochs have passed without the
// validation loss falling more than --min-delta below its best, and the
// test runs on the best epoch's weights.
//
// Into --out it writes, after every epoch, last.safetensors and, when the
// validation loss falls below its best, best.safetensors (each with a .json
// copy of its metadata), and history.jsonl, one JSON object per epoch:
// epoch, lr, mean_batch_loss (the mean of the training batches' losses
// over the epoch, each as its batch was trained: the "batch loss (epoch
// mean)" of the console, whose progress bar shows its running mean; older
// builds called it loss), train and val (loss, accuracy, precision,
// recall, f1 and auc, measured after the epoch on up to 2000 training
// images and on the validation set; cat is the positive class; auc is
// null when the images are of one class), seconds and samples_per_s. At the end it writes summary.json with the
// test metrics, the confusion matrix, each class's precision, recall, F1
// and support, and the run's settings, and (unless --plots=false) loss.png,
// accuracy.png and roc.png. catdog-predict reads the checkpoints. A run
// that fails before it has written anything (bad data, no run to resume)
// removes the --out folders it created.
//
// Every file is written atomically (a temporary file, synced, renamed),
// so a failure never leaves half a checkpoint. A run holds a lock on --out
// (.catdog-train.lock, flock) while it runs, and a second catdog-train on
// the same --out is refused, naming the first's process. A loss that turns
// NaN or infinite stops the run, naming the epoch and batch (or the epoch
// whose model it is), and a failed write (a full disk) stops it, saying
// what failed; either way the last good checkpoint stays in --out, and
// the message says where.
//
// Ctrl-C (or SIGTERM) stops between batches; the last completed epoch's
// checkpoint stays in --out and --resume continues from it, giving the same
// weights as a run that was never stopped. A second Ctrl-C quits at once.
// The checkpoints record the settings that decide the weights: the model,
// the optimizer and schedule, and the data (--data as an absolute path,
// or --synthetic; --test or --test-split; --val, --crop and --seed) and
// --epochs. On --resume, flags left out take the checkpoint's values, and
// a flag given with another value is refused, naming both (except
// --epochs, which may move the run's end), since going on with other
// images or another split of them would not continue the run. Checkpoints
// older than the recorded data settings resume with the data flags as
// given, and a warning.
//
// Exit status: 0 on success, 1 when training fails (no usable images, a
// diverged loss, an I/O error), 2 for a bad command line, 130 when
// interrupted. Run catdog-train -h for the flags and their defaults.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/neurone-dl/neurone/cmd/internal/cli"
	"github.com/neurone-dl/neurone/models/catdog"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default handling so that a
		// second one ends the process even while it is loading images.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command, minus the process: the report goes to stdout,
// errors and the progress bar to stderr; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runIn(ctx, env{}, args, stdout, stderr)
}

// runIn is run in an environment a test may have rigged with faults.
func runIn(ctx context.Context, e env, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return cli.ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "catdog-train: %v\nrun catdog-train -h for the flags\n", err)
		return cli.ExitUsage
	}
	t := &trainer{o: o, env: e, stdout: stdout, stderr: stderr}
	err = usage(t.run(ctx))
	if err != nil {
		t.removeEmptyOut()
	}
	switch {
	case err == nil:
		return cli.ExitOK
	case cli.IsUsage(err):
		fmt.Fprintf(stderr, "catdog-train: %v\nrun catdog-train -h for the flags\n", err)
		return cli.ExitUsage
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintf(stderr, "catdog-train: interrupted%s\n", t.whereToResume())
		return cli.ExitInterrupted
	default:
		fmt.Fprintf(stderr, "catdog-train: %v\n", err)
		if errors.Is(err, syscall.ENOSPC) {
			fmt.Fprintf(stderr, "the disk holding %s is full: free some space, then continue with --resume\n", o.out)
		}
		switch {
		case t.lastEpoch > 0:
			fmt.Fprintf(stderr, "the last good model (epoch %d) is in %s\n", t.lastEpoch, t.path(lastFile))
		case errors.Is(err, catdog.ErrDiverged):
			fmt.Fprintln(stderr, "no epoch completed, so no checkpoint was written")
		}
		return cli.ExitFailure
	}
}

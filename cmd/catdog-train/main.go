// Command catdog-train trains Neurone's cat/dog classifiers on grayscale
// images, 100x100 unless --side says otherwise (--model mlp6, a
// perceptron, or cnn, a small convolutional network), on the photos of
// --data DIR (with the photo recipe of --model for the flags left out) or
// on a built-in synthetic set, and writes the checkpoints, history, summary and plots
// into --out; --resume continues an interrupted run there. The run itself
// is models/catdog's (Settings, Run, Resume); the command reads the
// flags, prints the progress and the report.
//
// Usage:
//
//	catdog-train [flags]                 train on the built-in synthetic set
//	catdog-train --data DIR [flags]      train on the photos in DIR
//	catdog-train --out DIR --resume      continue an interrupted run
//
// Run catdog-train -h for the flags and their defaults; the README says
// what a run writes into --out, and how it stops, fails and resumes.
//
// Under Open MPI's mpirun, its N processes train one model together
// (mpi.go; the README's "Training on several machines").
//
// Exit status: 0 on success, 1 when training fails (no usable images, a
// diverged loss, an I/O error), 2 for a bad command line, 130 when
// interrupted.
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
func runIn(ctx context.Context, e env, args []string, stdout, stderr io.Writer) (code int) {
	o, err := parseFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return cli.ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "catdog-train: %v\nrun catdog-train -h for the flags\n", err)
		return cli.ExitUsage
	}
	t := &trainer{o: o, env: e, stdout: stdout, stderr: stderr}
	if code, ok := t.joinRanks(stderr); !ok { // under mpirun: mpi.go
		return code
	}
	defer func() { t.leaveRanks(code) }()
	err = usage(t.run(ctx))
	if t.follower() {
		return t.followerExit(err, stderr)
	}
	if err != nil {
		t.madeOut.RemoveEmpty()
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
		case errors.Is(err, catdog.ErrCollapsed):
			fmt.Fprintf(stderr, "its checkpoints stay in %s: %s (epoch %d) and %s (the epoch of the lowest validation loss)\n",
				o.out, lastFile, t.lastEpoch, bestFile)
		case t.lastEpoch > 0:
			fmt.Fprintf(stderr, "the last good model (epoch %d) is in %s\n", t.lastEpoch, t.path(lastFile))
		case errors.Is(err, catdog.ErrDiverged):
			fmt.Fprintln(stderr, "no epoch completed, so no checkpoint was written")
		}
		return cli.ExitFailure
	}
}

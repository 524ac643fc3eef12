package main

import (
	"fmt"
	"io"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/cmd/internal/cli"
)

// Under mpirun (mpirun -np N catdog-train ...), each of the N processes
// is one rank of one data-parallel run (catdog.RunOptions.Comm): --batch
// is the batch of all the ranks together, and must split into N equal
// shards; --device cuda gives each rank the GPU of its local rank on its
// machine (cuda:<local rank>), and so does auto where that GPU answers.
// Rank 0 writes --out and prints as a run alone does; the other ranks
// print nothing but their errors, and with --resume read the run in --out
// (which every machine must see). Without mpirun nothing changes.

// joinRanks makes t a rank of the run when mpirun started the process.
// It returns false, and the exit status, when that fails.
func (t *trainer) joinRanks(stderr io.Writer) (code int, ok bool) {
	c, err := comm.FromEnv()
	if err != nil {
		fmt.Fprintf(stderr, "catdog-train: under mpirun: %v\n", err)
		return cli.ExitFailure, false
	}
	if c == nil {
		return 0, true
	}
	if err := t.o.CheckRanks(c.Size()); err != nil {
		if c.Rank() == 0 {
			fmt.Fprintf(stderr, "catdog-train: %v\n", usage(err))
		}
		c.Close() // every rank fails here: MPI_Finalize, collective, returns
		return cli.ExitUsage, false
	}
	t.comm = c
	t.o.device = backend.ForLocalRank(t.o.device, comm.LocalRank())
	if c.Rank() != 0 {
		t.stdout, t.stderr = io.Discard, io.Discard
	}
	fmt.Fprintf(t.stdout, "data-parallel run of %d processes (%s): each trains on its 1/%d of every batch\n", c.Size(), c.Name(), c.Size())
	return 0, true
}

// follower reports whether t is a rank other than 0 of a run under mpirun.
func (t *trainer) follower() bool { return t.comm != nil && t.comm.Rank() != 0 }

// leaveRanks ends t's part in the run, after a run that ended with exit
// status code. A failed rank leaves without MPI_Finalize, a collective
// call that would wait for ranks still training: exiting with an error,
// it has mpirun end the job.
func (t *trainer) leaveRanks(code int) {
	if t.comm != nil && code == cli.ExitOK {
		t.comm.Close()
	}
}

// followerExit prints the error of a rank other than 0, which prints
// nothing else, and returns its exit status.
func (t *trainer) followerExit(err error, stderr io.Writer) int {
	if err == nil {
		return cli.ExitOK
	}
	fmt.Fprintf(stderr, "catdog-train: rank %d of %d: %v\n", t.comm.Rank(), t.comm.Size(), err)
	return cli.ExitFailure
}

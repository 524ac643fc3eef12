package main

import "github.com/neurone-dl/neurone/models/checkpoint"

// env is what a run reaches outside the process that a test may replace,
// to see how the command meets faults it cannot cause on purpose (a full
// disk). The zero env is the real one.
type env struct {
	// fs writes the files of --out; nil is the operating system's.
	fs checkpoint.FS
}

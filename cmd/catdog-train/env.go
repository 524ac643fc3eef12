package main

import (
	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// env is what a run reaches outside the process that a test may replace,
// to see how the command meets faults it cannot cause on purpose (a full
// disk, a loss that turns NaN at a chosen step). The zero env is the real
// one.
type env struct {
	// fs writes the files of --out; nil is the operating system's.
	fs checkpoint.FS
	// device, when not nil, wraps the device the run opens.
	device func(backend.Backend) backend.Backend
}

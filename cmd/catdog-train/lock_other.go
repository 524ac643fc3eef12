//go:build !unix

package main

import "errors"

// lockFile would be locked in --out by the run writing there; only Unix
// systems have flock, and elsewhere two runs on one folder are not
// stopped.
const lockFile = ".catdog-train.lock"

var errOutBusy = errors.New("in use by another catdog-train")

type outLock struct{}

func lockOut(dir string) (*outLock, error) { return &outLock{}, nil }

func (l *outLock) release() {}

//go:build !cgo

package mpidl

import "fmt"

func unavailable() error {
	return fmt.Errorf("%w: this binary was built without cgo (CGO_ENABLED=0), which loading libmpi needs", ErrNotLoaded)
}

// Load fails: loading libmpi needs cgo.
func Load() error { return unavailable() }

// Path is "": nothing is loaded without cgo.
func Path() string { return "" }

// Version is "unknown" without cgo.
func Version() string { return "unknown" }

// Init fails: loading libmpi needs cgo.
func Init(int) (int, error) { return 0, unavailable() }

// Finalize fails: loading libmpi needs cgo.
func Finalize() error { return unavailable() }

// Rank fails: loading libmpi needs cgo.
func Rank() (int, error) { return 0, unavailable() }

// Size fails: loading libmpi needs cgo.
func Size() (int, error) { return 0, unavailable() }

// AllreduceSum fails: loading libmpi needs cgo.
func AllreduceSum([]float32) error { return unavailable() }

// Bcast fails: loading libmpi needs cgo.
func Bcast([]byte, int) error { return unavailable() }

// Barrier fails: loading libmpi needs cgo.
func Barrier() error { return unavailable() }

// Abort fails: loading libmpi needs cgo.
func Abort(int) error { return unavailable() }

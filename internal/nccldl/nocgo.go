//go:build !cgo

package nccldl

import (
	"fmt"
	"unsafe"
)

func unavailable() error {
	return fmt.Errorf("%w: this binary was built without cgo (CGO_ENABLED=0), which loading NCCL needs", ErrNotLoaded)
}

// Load fails: loading NCCL needs cgo.
func Load() error { return unavailable() }

// Path is "": nothing is loaded without cgo.
func Path() string { return "" }

// Version fails: loading NCCL needs cgo.
func Version() (string, error) { return "", unavailable() }

// NewID fails: loading NCCL needs cgo.
func NewID() (ID, error) { return ID{}, unavailable() }

// Comm is a communicator of NCCL; without cgo there is none.
type Comm struct{}

// InitRank fails: loading NCCL needs cgo.
func InitRank(int, ID, int) (*Comm, error) { return nil, unavailable() }

// AllReduce fails: loading NCCL needs cgo.
func (*Comm) AllReduce(uint64, int, int, unsafe.Pointer) error { return unavailable() }

// Broadcast fails: loading NCCL needs cgo.
func (*Comm) Broadcast(uint64, int, int, unsafe.Pointer) error { return unavailable() }

// GroupStart fails: loading NCCL needs cgo.
func GroupStart() error { return unavailable() }

// GroupEnd fails: loading NCCL needs cgo.
func GroupEnd() error { return unavailable() }

// AsyncError fails: loading NCCL needs cgo.
func (*Comm) AsyncError() error { return unavailable() }

// Destroy does nothing without cgo.
func (*Comm) Destroy() error { return nil }

// Abort does nothing without cgo.
func (*Comm) Abort() error { return nil }

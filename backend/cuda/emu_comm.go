//go:build cgo

package cuda

import (
	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/internal/cudadl"
)

// averager averages over c's ranks on the host, in order with the
// device's other work (recorded while capturing, as NCCL's calls are): a
// data-parallel cuda-emu program exchanges its gradients through c itself.
func (h *hostDevice) averager(c comm.Communicator) (averager, error) { return hostAverager{h, c}, nil }

type hostAverager struct {
	h *hostDevice
	c comm.Communicator
}

func (a hostAverager) mean(bufs []comm.DeviceBuffer) error {
	return a.h.queue(func() error {
		for _, b := range bufs {
			s, err := a.h.span(cudadl.Ptr(b.Addr), b.Len)
			if err != nil {
				return err
			}
			if err := a.c.AllReduceMean(s); err != nil {
				return err
			}
		}
		return nil
	})
}

func (hostAverager) close() error { return nil }

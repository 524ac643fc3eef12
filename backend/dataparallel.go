package backend

import (
	"fmt"
	"math"

	"github.com/neurone-dl/neurone/graph/optim"
)

// BroadcastValues replaces, on every rank of spec.Comm, the host values of
// spec's parameters and of its Updates' buffers by rank 0's: what a
// backend's Compile and Load do before the values go to the device, so
// that every rank starts from the same model. Every rank calls it
// together; without a communicator it does nothing.
func (spec Spec) BroadcastValues() error {
	if spec.Comm == nil {
		return nil
	}
	for _, prm := range spec.Params {
		if err := broadcastNode(spec, prm.Value(), "parameter "+prm.Name()); err != nil {
			return err
		}
	}
	for _, u := range spec.Updates {
		if err := broadcastNode(spec, u.Buffer.Value(), "buffer "+u.Buffer.Name()); err != nil {
			return err
		}
	}
	return nil
}

func broadcastNode(spec Spec, v any, what string) error {
	d, ok := v.(interface{ Data() any })
	if !ok {
		return fmt.Errorf("%w: %s has no value", ErrSpec, what)
	}
	data, ok := d.Data().([]float32)
	if !ok {
		return fmt.Errorf("%w: %s is not float32", ErrSpec, what)
	}
	if err := spec.Comm.Broadcast(data, 0); err != nil {
		return fmt.Errorf("backend: broadcasting %s: %w", what, err)
	}
	return nil
}

// BroadcastState replaces s, on every rank of spec.Comm, by rank 0's: its
// step (sent as the bits of two float32 words) and its slots, as a
// backend's SetOptimizerState does before the state goes to the device.
// Every rank calls it together; without a communicator it does nothing.
func (spec Spec) BroadcastState(s *optim.State) error {
	if spec.Comm == nil {
		return nil
	}
	step := uint64(s.Step)
	words := []float32{math.Float32frombits(uint32(step)), math.Float32frombits(uint32(step >> 32))}
	if err := spec.Comm.Broadcast(words, 0); err != nil {
		return fmt.Errorf("backend: broadcasting the optimizer's step: %w", err)
	}
	s.Step = int(uint64(math.Float32bits(words[0])) | uint64(math.Float32bits(words[1]))<<32)
	for i, slots := range s.Slots {
		for _, v := range slots {
			if err := spec.Comm.Broadcast(v, 0); err != nil {
				return fmt.Errorf("backend: broadcasting the optimizer state of %s: %w", spec.Params[i].Name(), err)
			}
		}
	}
	return nil
}

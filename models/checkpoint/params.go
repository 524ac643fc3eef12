package checkpoint

import (
	"fmt"
	"slices"

	G "gorgonia.org/gorgonia"
)

// FromParams returns a Tensor for each parameter node (graph.Model.Params,
// for one), named and shaped as the node, whose Data is the node's float32
// value itself, not a copy. Call the Program's Sync first, so that the
// values are the trained ones, then Save.
func FromParams(params []*G.Node) ([]Tensor, error) {
	ts := make([]Tensor, 0, len(params))
	for _, p := range params {
		data, ok := float32Value(p)
		if !ok {
			return nil, fmt.Errorf("checkpoint: parameter %s has no float32 tensor value", p.Name())
		}
		ts = append(ts, Tensor{Name: p.Name(), Shape: p.Shape().Clone(), Data: data})
	}
	return ts, nil
}

// ToParams copies into each parameter node's value the tensor of the same
// name, which must have the node's shape. Tensors that name no parameter
// (optimizer state, say) are left alone. On an error nothing has been
// copied. Call the Program's Load afterwards, to move the values to the
// device.
func ToParams(params []*G.Node, ts []Tensor) error {
	byName := make(map[string]Tensor, len(ts))
	for _, t := range ts {
		byName[t.Name] = t
	}
	dst := make([][]float32, len(params))
	src := make([][]float32, len(params))
	for i, p := range params {
		t, found := byName[p.Name()]
		if !found {
			return fmt.Errorf("checkpoint: no tensor for parameter %s (shape %v)", p.Name(), p.Shape())
		}
		if !slices.Equal(t.Shape, []int(p.Shape())) || len(t.Data) != p.Shape().TotalSize() {
			return fmt.Errorf("checkpoint: tensor %s has shape %v, the parameter %v", t.Name, t.Shape, p.Shape())
		}
		data, isF32 := float32Value(p)
		if !isF32 {
			return fmt.Errorf("checkpoint: parameter %s has no float32 tensor value", p.Name())
		}
		dst[i], src[i] = data, t.Data
	}
	for i := range dst {
		copy(dst[i], src[i])
	}
	return nil
}

// float32Value returns the elements of n's value when it is a float32
// tensor.
func float32Value(n *G.Node) ([]float32, bool) {
	if n.Value() == nil {
		return nil, false
	}
	data, ok := n.Value().Data().([]float32)
	return data, ok && len(data) == n.Shape().TotalSize()
}

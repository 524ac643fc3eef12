package ops_test

import "gorgonia.org/tensor"

func tensorOf(v ...float64) *tensor.Dense {
	return tensor.New(tensor.WithShape(1, len(v)), tensor.WithBacking(v))
}

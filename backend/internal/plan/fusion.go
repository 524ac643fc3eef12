package plan

import (
	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/ops"
)

// BiasActivation joins a bias addition (ops.BiasAddOp, or
// ops.ChannelBiasAddOp, a convolution's bias per channel) with an
// activation that reads it, which activation reports the backend runs
// fused: a dense or convolutional layer's output then streams through
// memory once instead of twice. The bias addition's value stays
// available to whatever else reads it (Plan.Kept).
func BiasActivation(activation func(n *G.Node) bool) *Fusion {
	return &Fusion{Name: "bias+activation", Pair: func(p *Plan, bias, act *G.Node) bool {
		switch p.Op(bias).(type) {
		case ops.BiasAddOp, ops.ChannelBiasAddOp:
			return activation(act)
		}
		return false
	}}
}

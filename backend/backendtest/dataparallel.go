package backendtest

import (
	"fmt"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/comm"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
)

// DataParallelNets are the networks DataParallelRun trains: a perceptron,
// the CNN with dropout of the conformance suite, and its batch-normalised
// twin (per-rank statistics: not what one process computes; see package
// backend).
var DataParallelNets = []string{"mlp", "cnn", "bncnn"}

// dataParallelMLP is a small perceptron with three kinds of activation.
var dataParallelMLP = graph.MLPSpec{Inputs: 12, Seed: 8, Layers: []graph.LayerSpec{
	{Units: 16, Activation: graph.ReLU}, {Units: 8, Activation: graph.Tanh}, {Units: 1, Activation: graph.Sigmoid}}}

// dataParallelNet builds network name with batch samples per step.
func dataParallelNet(name string, batch int) (*graph.Model, error) {
	switch name {
	case "mlp":
		s := dataParallelMLP
		s.Batch = batch
		return graph.MLP(s)
	case "cnn", "bncnn":
		s := smallCNN
		if name == "bncnn" {
			s = smallBNCNN
		}
		s.Batch = batch
		return graph.CNN(s)
	}
	return nil, fmt.Errorf("backendtest: no data-parallel network %q (have %v)", name, DataParallelNets)
}

// DataParallelResult is what a data-parallel run computed: the loss of
// each step and the parameters after the last.
type DataParallelResult struct {
	Losses []float32
	Params [][]float32
}

// DataParallelRun trains network net (one of DataParallelNets) on b for
// steps steps of globalBatch random samples each (the same batches in
// every run), with momentum SGD. With a communicator c of n ranks, this
// rank trains on its shard, the r-th of n, of each global batch; with c
// nil, one process trains on the whole batch. The results of both must
// agree (but for bncnn), and every rank's must be the same.
func DataParallelRun(b backend.Backend, c comm.Communicator, net string, globalBatch, steps int) (*DataParallelResult, error) {
	rank, size := 0, 1
	if c != nil {
		rank, size = c.Rank(), c.Size()
	}
	lo, hi, err := comm.Shard(rank, size, globalBatch)
	if err != nil {
		return nil, err
	}
	shard := hi - lo
	m, err := dataParallelNet(net, shard)
	if err != nil {
		return nil, err
	}
	obj, err := graph.BinaryClassification(m)
	if err != nil {
		return nil, err
	}
	spec := backend.TrainSpec(m, obj, optim.NewMomentum(0.1, 0.9))
	spec.Comm = c
	prog, err := b.Compile(spec)
	if err != nil {
		return nil, err
	}
	defer prog.Close()
	inputs := m.Input.Shape().TotalSize() / shard
	res := &DataParallelResult{}
	for step := range steps {
		x, y := randomBatch(globalBatch, inputs, uint64(100+step))
		loss, err := prog.Train(x[lo*inputs:hi*inputs], y[lo:hi])
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", step+1, err)
		}
		res.Losses = append(res.Losses, loss)
	}
	if err := prog.Sync(); err != nil {
		return nil, err
	}
	for _, p := range obj.Params {
		res.Params = append(res.Params, append([]float32(nil), p.Value().Data().([]float32)...))
	}
	return res, nil
}

// Compare returns the largest relative difference between r and want
// (each loss, and each parameter relative to its largest value in want),
// and an error when their shapes differ.
func (r *DataParallelResult) Compare(want *DataParallelResult) (float64, error) {
	if len(r.Losses) != len(want.Losses) || len(r.Params) != len(want.Params) {
		return 0, fmt.Errorf("backendtest: %d losses and %d parameters, want %d and %d", len(r.Losses), len(r.Params), len(want.Losses), len(want.Params))
	}
	worst := relErr(r.Losses, toFloat64(want.Losses))
	for i, p := range r.Params {
		if len(p) != len(want.Params[i]) {
			return 0, fmt.Errorf("backendtest: parameter %d has %d values, want %d", i, len(p), len(want.Params[i]))
		}
		worst = max(worst, relErr(p, toFloat64(want.Params[i])))
	}
	return worst, nil
}

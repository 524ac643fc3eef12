package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/ops"
)

// Targets adds an input node for the targets of m's output, named "targets",
// shaped like the output.
func Targets(m *Model) *G.Node {
	return G.NewMatrix(m.Graph, tensor.Float32, G.WithShape(m.Output.Shape()...), G.WithName("targets"))
}

// BCEWithLogits returns the mean binary cross-entropy of logits against
// targets, computed stably from the logits (the sigmoid is fused into the
// loss): use the model's Logits, not its sigmoid Output.
func BCEWithLogits(logits, targets *G.Node) (*G.Node, error) {
	return ops.BCEWithLogits(logits, targets)
}

// MSE returns the mean squared error of predictions against targets.
func MSE(predictions, targets *G.Node) (*G.Node, error) { return ops.MSE(predictions, targets) }

// SoftmaxCrossEntropy returns the cross-entropy of the softmax of logits
// (samples×classes) against targets of the same shape, each row a
// distribution over the classes (one-hot labels, or smoothed ones),
// averaged over the samples. It is computed stably from the logits (the
// softmax is fused into the loss): use a softmax layer's Pre, not its
// Output.
func SoftmaxCrossEntropy(logits, targets *G.Node) (*G.Node, error) {
	return ops.SoftmaxCrossEntropy(logits, targets)
}

// Grad adds the backward pass of loss to its graph and returns the
// gradient node of each of wrt, in order.
func Grad(loss *G.Node, wrt ...*G.Node) ([]*G.Node, error) {
	grads, err := G.Grad(loss, wrt...)
	if err != nil {
		return nil, fmt.Errorf("graph: differentiating %s: %w", loss.Name(), err)
	}
	return grads, nil
}

// Objective is what training a model needs: the targets fed with each
// batch, the scalar loss, and each learnable parameter with its gradient.
type Objective struct {
	Targets *G.Node
	Loss    *G.Node
	Params  []*G.Node
	Grads   []*G.Node
}

// BinaryClassification adds to m's graph the targets, the binary
// cross-entropy of m's logits against them, and the backward pass to every
// parameter of m.
func BinaryClassification(m *Model) (*Objective, error) {
	return objective(m, BCEWithLogits)
}

// MulticlassClassification adds to m's graph the targets (samples×classes,
// one-hot labels), the softmax cross-entropy of m's logits against them,
// and the backward pass to every parameter of m. Give m a last dense layer
// of one unit per class with the softmax activation: its Output is then
// each sample's class probabilities, while the loss reads the Logits.
func MulticlassClassification(m *Model) (*Objective, error) {
	if s := m.Logits.Shape(); s.Dims() != 2 || s[1] < 2 {
		return nil, fmt.Errorf("graph: multiclass classification needs samples×classes logits with at least 2 classes, got %v", s)
	}
	return objective(m, SoftmaxCrossEntropy)
}

// objective adds targets shaped like m's output, loss(m.Logits, targets)
// and the gradients of every parameter of m.
func objective(m *Model, lossFn func(logits, targets *G.Node) (*G.Node, error)) (*Objective, error) {
	targets := Targets(m)
	loss, err := lossFn(m.Logits, targets)
	if err != nil {
		return nil, err
	}
	params := m.Params()
	grads, err := Grad(loss, params...)
	if err != nil {
		return nil, err
	}
	return &Objective{Targets: targets, Loss: loss, Params: params, Grads: grads}, nil
}

package graph_test

import (
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/graph"
)

func TestMulticlassNeedsClasses(t *testing.T) {
	t.Parallel()
	m, err := graph.MLP(graph.MLPSpec{Inputs: 3, Batch: 2, Layers: []graph.LayerSpec{{Units: 1, Activation: graph.Softmax}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := graph.MulticlassClassification(m); err == nil || !strings.Contains(err.Error(), "at least 2 classes") {
		t.Errorf("one output unit: %v, want an error asking for 2 classes", err)
	}
}

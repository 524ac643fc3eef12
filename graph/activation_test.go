package graph_test

import (
	"encoding/json"
	"testing"

	"github.com/neurone-dl/neurone/graph"
)

// TestActivationNames: activations are read and written by the names
// that specs and checkpoints have always held, and the unset zero (a CNN
// checkpoint's empty hidden activation) survives a round trip.
func TestActivationNames(t *testing.T) {
	t.Parallel()
	want := []string{"relu", "leakyrelu", "sigmoid", "tanh", "step", "step-ste", "linear", "softmax"}
	for i, a := range graph.Activations {
		if a.String() != want[i] {
			t.Errorf("activation %d is named %q, want %q", i, a, want[i])
		}
		if p, err := graph.ParseActivation(want[i]); err != nil || p != a {
			t.Errorf("ParseActivation(%q) = %v, %v", want[i], p, err)
		}
	}
	if _, err := graph.ParseActivation("swish"); err == nil {
		t.Error(`ParseActivation("swish") succeeded`)
	}
	type doc struct {
		Act    graph.Activation `json:"activation"`
		Hidden graph.Activation `json:"hidden"`
	}
	out, err := json.Marshal(doc{Act: graph.StepSTE})
	if err != nil || string(out) != `{"activation":"step-ste","hidden":""}` {
		t.Fatalf("written as %s, %v", out, err)
	}
	var d doc
	if err := json.Unmarshal(out, &d); err != nil || d != (doc{Act: graph.StepSTE}) {
		t.Errorf("read back as %+v, %v", d, err)
	}
	if err := json.Unmarshal([]byte(`{"activation":"gelu"}`), &d); err == nil {
		t.Error("an unknown activation was read")
	}
}

package backend_test

import (
	"fmt"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	_ "github.com/neurone-dl/neurone/backend/cpu"
)

// A backend that "auto" chose as a fallback prints as the backend it
// wraps, not as a struct holding it and the reason.
func TestAutoFallbackPrintsItsName(t *testing.T) {
	b, err := backend.Open("auto") // no "cuda" registered here: the CPU, noted
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if backend.Note(b) == "" {
		t.Fatalf("Open(\"auto\") without CUDA gave %s without saying why", b.Name())
	}
	if got, want := fmt.Sprint(b), b.Name(); got != want {
		t.Errorf("fmt.Sprint(Open(\"auto\")) = %q, want %q", got, want)
	}
}

// Each rank of a run under mpirun takes the GPU of its local rank for
// "cuda", and "auto" takes it only where it opens (never here, without a
// "cuda" backend registered); other names stay.
func TestForLocalRank(t *testing.T) {
	for _, tt := range []struct {
		name  string
		local int
		want  string
	}{{"cuda", 0, "cuda:0"}, {"cuda", 3, "cuda:3"}, {"auto", 0, "auto"}, {"auto", 1, "auto"}, {"cpu", 2, "cpu"}, {"cuda:1", 2, "cuda:1"}} {
		if got := backend.ForLocalRank(tt.name, tt.local); got != tt.want {
			t.Errorf("ForLocalRank(%q, %d) = %q, want %q", tt.name, tt.local, got, tt.want)
		}
	}
}

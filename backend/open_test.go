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

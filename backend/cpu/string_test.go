package cpu_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/neurone-dl/neurone/backend/cpu"
)

// The backend prints as its name, so that fmt.Println(be) says what runs.
func TestStringIsName(t *testing.T) {
	b := cpu.New()
	if got, want := fmt.Sprint(b), b.Name(); got != want || !strings.HasPrefix(got, "cpu") {
		t.Errorf("fmt.Sprint(cpu.New()) = %q, want its Name() %q, starting with cpu", got, want)
	}
}

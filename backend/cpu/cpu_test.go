package cpu_test

import (
	"testing"

	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/backend/cpu"
)

func TestConformance(t *testing.T) {
	backendtest.RunAll(t, cpu.New())
}

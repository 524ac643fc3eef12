package mpidl

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestLoad loads libmpi where Open MPI is installed (CI installs it) and
// checks the error otherwise. MPI itself is started by package
// backend/comm's tests, in processes mpirun launches.
func TestLoad(t *testing.T) {
	err := Load()
	if err != nil {
		if !errors.Is(err, ErrNotLoaded) {
			t.Fatalf("Load: %v, want ErrNotLoaded", err)
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("Load: %v (CI installs Open MPI)", err)
		}
		t.Skipf("Open MPI not installed: %v", err)
	}
	if p := Path(); !strings.Contains(p, "libmpi.so") {
		t.Errorf("Path = %q, want a libmpi.so file", p)
	}
	if v := Version(); !strings.Contains(v, "Open MPI") {
		t.Errorf("Version = %q, want it to name Open MPI", v)
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Call: "MPI_Allreduce", Code: 14, Message: "MPI_ERR_TRUNCATE: message truncated"}
	if got, want := e.Error(), "MPI_Allreduce: MPI_ERR_TRUNCATE: message truncated (MPI error 14)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

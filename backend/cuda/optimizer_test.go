//go:build cgo

package cuda

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The step's scalars that Train writes (coefLen floats, the step number
// from float stepOffset on, GradScale after it) are laid out as struct
// coef of the kernels: checked by the host's C++ compiler, which lays out
// the struct as NVRTC does (plain floats and a 64-bit integer).
func TestCoefLayout(t *testing.T) {
	if _, err := exec.LookPath("g++"); err != nil {
		t.Skip("no g++ to lay out the kernels' struct coef")
	}
	dir := t.TempDir()
	src := emuPrelude + kernelSource + `
#include <stddef.h>
int main() {
	printf("%zu %zu %zu %zu %zu %zu %zu %zu %zu %zu %zu\n",
		offsetof(coef, lr), offsetof(coef, wd), offsetof(coef, mu), offsetof(coef, beta1), offsetof(coef, beta2),
		offsetof(coef, eps), offsetof(coef, bias1), offsetof(coef, bias2), offsetof(coef, step),
		offsetof(coef, gscale), sizeof(struct coef));
	return 0;
}
`
	if err := os.WriteFile(filepath.Join(dir, "coef.cpp"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "coef")
	if out, err := exec.Command("g++", "-w", "-pthread", "-DEMU_REDUCE_THREADS=8", "-o", bin, filepath.Join(dir, "coef.cpp")).CombinedOutput(); err != nil {
		t.Fatalf("g++: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	// In floats: LR, WD, Mu, Beta1, Beta2, Eps, Bias1, Bias2 (as Train
	// writes them), the step, GradScale two floats later, the size.
	want := []int{0, 1, 2, 3, 4, 5, 6, 7, stepOffset, stepOffset + 2, coefLen}
	got := strings.Fields(string(out))
	for i, w := range want {
		if got[i] != strconv.Itoa(4*w) {
			t.Errorf("struct coef: byte %s where Train writes float %d (%v)", got[i], w, got)
		}
	}
}

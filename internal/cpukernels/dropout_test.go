package cpukernels

import "testing"

// TestSplitMix64 checks the mask's hash against the published outputs of
// the SplitMix64 generator seeded with 1234567 (Vigna's splitmix64.c), the
// numbers a CUDA kernel's port can be checked against too.
func TestSplitMix64(t *testing.T) {
	want := []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821}
	for i, w := range want {
		if got := SplitMix64(1234567 + uint64(i)*Golden); got != w {
			t.Errorf("output %d: %d, want %d", i, got, w)
		}
	}
}

package cpukernels

// Golden is SplitMix64's increment, 2⁶⁴/φ.
const Golden = 0x9e3779b97f4a7c15

// Mix64 is SplitMix64's output function (Stafford's variant 13).
func Mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// SplitMix64 is the output of a SplitMix64 generator in state s:
// Mix64(s + Golden).
func SplitMix64(s uint64) uint64 { return Mix64(s + Golden) }

// Dropout copies x to dst when not active; otherwise it keeps element i
// when the high 32 bits of SplitMix64(key + i·Golden) are at least
// threshold, multiplied by scale, and sets it to 0 otherwise (the mask of
// ops.DropoutMask).
func Dropout[T Float](active bool, key uint64, threshold uint32, scale float64, dst, x []T) {
	x = x[:len(dst)]
	if !active {
		copy(dst, x)
		return
	}
	s, sc := key, T(scale)
	for i, v := range x {
		s += Golden // s = key + (i+1)·Golden: SplitMix64(key + i·Golden) = Mix64(s)
		dst[i] = Sel(uint32(Mix64(s)>>32) >= threshold, 0, v*sc)
	}
}

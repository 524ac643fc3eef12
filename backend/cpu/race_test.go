//go:build race

package cpu

// raceEnabled says the tests run under the race detector, whose sync.Pool
// drops items at random: the kernels' scratch buffers are then allocated
// anew, and allocation counts say nothing.
const raceEnabled = true

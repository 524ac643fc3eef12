// Package synthetic draws the built-in cat/dog data set that Neurone uses when
// a user trains without photos.
//
// # Overview
//
// The images are a stand-in for photos, not photos: each one is a
// procedurally drawn cat-like or dog-like head on a cluttered background,
// rendered in grayscale with soft (anti-aliased) edges from signed-distance
// shapes. They exist so that the training pipeline, the model and the predict
// command can be exercised end to end without downloading anything; accuracy
// measured on them says nothing about accuracy on real photos.
//
// The class is carried by shape:
//
//   - cats have a round face, tall pointed upright ears, a short snout,
//     whiskers and almond eyes with slit pupils;
//   - dogs have a longer face with a muzzle that sticks out below it, long
//     floppy ears hanging at the sides, a large nose, round eyes and no
//     whiskers.
//
// Everything else is drawn from one distribution for both classes: the
// head's position (up to 8% of the side off centre), size (within 12%) and
// rotation (up to 25 degrees either way), with small offsets more likely than
// large ones; whether the fur is darker or brighter than the background and
// by how much; coat markings; the background's gradient and clutter (blobs
// and lines); and pixel noise. The two heads are sized so that each grey
// level covers the same share of the image on average, so the overall
// brightness, contrast and pixel histogram of an image say next to nothing
// about its class (the package's tests check this with held-out logistic
// regressions).
//
// # Determinism
//
// [Generate] is a pure function of its arguments: the same (n, seed, side)
// gives the same bytes on every machine and for any GOMAXPROCS. Each image is
// drawn from its own generator derived from (seed, index), and the drawing
// uses only arithmetic that IEEE 754 defines exactly: no transcendental
// functions, and every product that feeds a sum is rounded explicitly, so
// that no compiler may fuse it into a fused multiply-add (which arm64,
// ppc64le, s390x, riscv64, loong64 and amd64 v3 builds would otherwise do).
//
// # Errors and concurrency
//
// [Generate] and [Draw] panic on arguments that can only be programming
// errors (a negative count, a side under 1, a short buffer); [WritePNG]
// returns errors. [Generate] draws on all GOMAXPROCS processors. [Draw] and
// [WritePNG] hold no shared state and may be called from several goroutines
// at once, each with its own generator.
package synthetic

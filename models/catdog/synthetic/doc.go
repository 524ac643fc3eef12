// Package synthetic draws the built-in cat/dog data set that Neurone uses when
// a user trains without photos.
//
// # Overview
//
// The images are a stand-in for photos, not photos: each one is a procedurally
// drawn cat-like or dog-like head on a cluttered background, rendered in
// grayscale with soft (anti-aliased) edges from signed-distance shapes. They
// exist so that the training pipeline, the model and the predict command can be
// exercised end to end without downloading anything; accuracy measured on them
// says nothing about accuracy on real photos.
//
// The class is carried by shape alone:
//
//   - cats have a round head, pointed upright triangular ears, a short snout,
//     whiskers and almond eyes with slit pupils;
//   - dogs have a longer head with a muzzle that sticks out below it, floppy
//     rounded ears hanging at the sides, a large nose, round eyes and no
//     whiskers.
//
// Everything else is drawn from one distribution for both classes: the head's
// position, size and rotation (up to about 25 degrees either way), whether the
// fur is darker or brighter than the background and by how much, the
// background's gradient and clutter (blobs and lines), and pixel noise. The two
// silhouettes cover about the same area on average, so the overall brightness,
// contrast and pixel histogram of an image say next to nothing about its class.
//
// # Determinism
//
// [Generate] is a pure function of its arguments: the same (n, seed, side)
// gives the same bytes on every machine and for any GOMAXPROCS. Each image is
// drawn from its own generator derived from (seed, index), and the drawing
// uses only IEEE-exact arithmetic (no transcendental functions, and products
// are rounded explicitly so that the compiler cannot fuse them into
// fused multiply-adds, which some architectures would otherwise do).
//
// # Concurrency
//
// [Generate] draws on all GOMAXPROCS processors. [Draw] and [WritePNG] hold no
// shared state and may be called from several goroutines at once, each with
// its own generator.
package synthetic

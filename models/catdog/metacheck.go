package catdog

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/neurone-dl/neurone/models/catdog/dataset"
	"github.com/neurone-dl/neurone/models/checkpoint"
)

// ErrBadMeta is returned, wrapped with the file and the setting, by
// ReadMeta for a checkpoint whose metadata describes a model it cannot
// hold: a setting out of range, or more parameters than its tensors have
// values. Such a file was not written by Save, whatever it claims.
var ErrBadMeta = errors.New("catdog: metadata does not describe a model")

// ErrNewerFormat is returned, wrapped with the file, by ReadMeta for a
// checkpoint written by a newer build, in a format this one cannot read.
var ErrNewerFormat = errors.New("catdog: checkpoint format newer than this build reads")

// Bounds on what a checkpoint's metadata may describe, so that building
// its model cannot exhaust memory before the weights are compared with
// it: far beyond any model of this package, far below what would take a
// machine down.
const (
	maxSide   = 4096    // images up to 4096×4096
	maxWidth  = 1 << 20 // units of a dense layer, filters of a block
	maxLayers = 256     // hidden layers, convolution blocks
	// maxValues bounds the values one sample's layers output (a batch of
	// 64 then holds at most 4 GiB of activations, as float32).
	maxValues = 1 << 24
	// maxInputs bounds Batch×Channels×Side², the values of one input batch.
	maxInputs = 1 << 28
)

// checkMeta refuses metadata describing a model that ts cannot hold. It
// checks each setting's range first, so that the shape arithmetic after
// it cannot overflow, then that the model's parameters number no more
// than the values of ts: a model's weights are in its checkpoint, so its
// size is bounded by the file's.
func checkMeta(m Meta, ts []checkpoint.Tensor) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadMeta, fmt.Sprintf(format, args...))
	}
	inRange := func(name string, v, lo, hi int) error {
		if v < lo || v > hi {
			return bad("%s %d, outside %d to %d", name, v, lo, hi)
		}
		return nil
	}
	if err := inRange("side", m.Side, 1, maxSide); err != nil {
		return err
	}
	if m.Channels != 0 && m.Channels != dataset.Grayscale && m.Channels != dataset.RGB {
		return bad("%d channels, not %d (grayscale) or %d (RGB)", m.Channels, dataset.Grayscale, dataset.RGB)
	}
	if err := inRange("batch", m.Batch, 0, maxInputs/m.Config().inputs()); err != nil {
		return err
	}
	if len(m.Hidden) > maxLayers {
		return bad("%d hidden layers, over %d", len(m.Hidden), maxLayers)
	}
	for _, h := range m.Hidden {
		if err := inRange("hidden layer width", h, 1, maxWidth); err != nil {
			return err
		}
	}
	if m.CNN != nil {
		if len(m.CNN.Blocks) > maxLayers || len(m.CNN.Dense) > maxLayers {
			return bad("%d convolution blocks and %d dense layers, over %d", len(m.CNN.Blocks), len(m.CNN.Dense), maxLayers)
		}
		for i, b := range m.CNN.Blocks {
			for _, f := range []struct {
				name   string
				v, min int
				max    int
			}{{"filters", b.Filters, 1, maxWidth}, {"kernel", b.Kernel, 1, maxSide}, {"stride", b.Stride, 0, maxSide},
				{"padding", b.Padding, 0, maxSide}, {"pool", b.Pool, 0, maxSide}} {
				if err := inRange(fmt.Sprintf("convolution block %d: %s", i+1, f.name), f.v, f.min, f.max); err != nil {
					return err
				}
			}
		}
		for i, d := range m.CNN.Dense {
			if err := inRange(fmt.Sprintf("dense layer %d: units", i+1), d.Units, 1, maxWidth); err != nil {
				return err
			}
		}
		if !(m.CNN.Dropout >= 0 && m.CNN.Dropout < 1) {
			return bad("dropout rate %v, outside [0, 1)", m.CNN.Dropout)
		}
	}
	cfg := m.Config()
	if err := cfg.check(max(m.Batch, 1)); err != nil {
		return fmt.Errorf("%w: %w", ErrBadMeta, err)
	}
	params, values, err := cfg.sizes()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadMeta, err)
	}
	if values > maxValues {
		return bad("its layers output %d values for one image, over %d", values, maxValues)
	}
	held := 0
	for _, t := range ts {
		if !strings.HasPrefix(t.Name, optPrefix) {
			held += len(t.Data)
		}
	}
	if params > held {
		return bad("a %s of %d parameters, but the checkpoint's tensors hold %d values", cfg.Arch, params, held)
	}
	return nil
}

// mulSat returns a×b for sizes, math.MaxInt when that overflows.
func mulSat(a, b int) int {
	if a > 0 && b > 0 && a > math.MaxInt/b {
		return math.MaxInt
	}
	return a * b
}

// addSat returns a+b for sizes, math.MaxInt when that overflows.
func addSat(a, b int) int {
	if a > 0 && b > 0 && a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

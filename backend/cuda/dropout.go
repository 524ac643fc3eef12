package cuda

import (
	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/ops"
)

// Inverted dropout: while training, the mask of the step's number, drawn
// on the device as ops.DropoutMask draws it on the CPU; otherwise a copy.

const dropoutSource = `
// SplitMix64, as ops.DropoutMask.
#define GOLDEN 0x9e3779b97f4a7c15ULL
__device__ __forceinline__ unsigned long long mix64(unsigned long long z) {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

// dropout is inverted dropout with the mask of training step *step (as
// ops.DropoutOp.Mask), or a copy when not active. Reading the step from the
// device lets a captured training step draw a new mask on every replay.
// first is the index of x[0] in the global batch's mask (a data-parallel
// rank's shard begins there: ops.Mode.Sample), 0 in one process.
extern "C" __global__ void dropout(float *y, const float *x, int n, unsigned long long seed,
                                   unsigned threshold, float scale, const unsigned long long *step,
                                   int active, unsigned long long first) {
	if (!active) {
		FOR_EACH(i, n) { y[i] = x[i]; }
		return;
	}
	unsigned long long key = mix64((seed ^ mix64(*step + GOLDEN)) + GOLDEN);
	FOR_EACH(i, n) {
		unsigned long long h = mix64(key + ((unsigned long long)i + 1 + first) * GOLDEN);
		y[i] = (unsigned)(h >> 32) >= threshold ? x[i] * scale : 0.0f;
	}
}

`

func init() {
	lowerOp(func(op ops.DropoutOp, _ *G.Node, _ []*G.Node) (instrArgs, error) { return dropoutArgs{op: op}, nil })
}

// dropoutArgs is dropout by op; first is the index of its input's first
// element in the global batch (see shard).
type dropoutArgs struct {
	op    ops.DropoutOp
	first uint64
}

func (d dropoutArgs) calls(in *instr, _ int, train bool) []call {
	n, mask := in.size(), d.op.Mask(0)
	active := 0
	if train && d.op.Rate > 0 {
		active = 1
	}
	return []call{kernel("dropout", n, in.result(), in.arg(0), n, d.op.Seed, mask.Threshold, float32(mask.Scale),
		coefAt(stepOffset), active, d.first)}
}

// shard makes every dropout of l draw the masks of a data-parallel rank's
// shard that begins at sample sample of the global batch (ops.Mode.Sample):
// its input's first element is element sample·(elements per sample) there.
func (l *lowering) shard(sample int) {
	for i := range l.instrs {
		d, ok := l.instrs[i].args.(dropoutArgs)
		if sh := l.instrs[i].node.Shape(); ok && len(sh) > 0 && sh[0] > 0 {
			d.first = uint64(sample * (sh.TotalSize() / sh[0]))
			l.instrs[i].args = d
		}
	}
}

func (dropoutArgs) modal() bool { return true }

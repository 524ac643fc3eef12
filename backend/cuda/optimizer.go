package cuda

import (
	"github.com/neurone-dl/neurone/graph/optim"
	"math"
)

// The optimizers' updates, one launch per parameter after the training
// step, and gradient clipping, whose factor the device computes before
// them, so that nothing of a step waits for the host. They read the
// step's scalars from the device (struct coef), which the host writes
// before each step: a captured step needs no new capture when the
// learning rate changes.

const optimizerSource = `
// sum_squares writes the sum of x[i]² over the i its block strides
// through, added in double precision, to part[blockIdx.x]: one partial sum
// of a gradient's squares per block, which clip_scale adds in order.
extern "C" __global__ void REDUCTION sum_squares(double *part, const float *x, int n) {
	double s = 0.0;
	FOR_EACH(i, n) {
		double v = x[i];
		s += v * v;
	}
	s = block_sum(s);
	if (threadIdx.x == 0) part[blockIdx.x] = s;
}

// coef is optim.Coefficients on the device: the host writes it before
// each step, and clip_scale sets gscale during the step when clipping.
struct coef {
	float lr, wd, mu, beta1, beta2, eps, bias1, bias2;
	unsigned long long step; // the 1-based step number (dropout's masks)
	float gscale;            // every gradient's factor (GradScale)
};

// clip_scale sets c->gscale to min(1, clip/(√Σ part + 1e-6)), as
// optim.Optimizer.ClipScale does, NaN when the sum is not finite. One
// thread.
extern "C" __global__ void clip_scale(struct coef *c, const double *part, int parts, float clip) {
	if (blockIdx.x != 0 || threadIdx.x != 0) return;
	double s = 0.0;
	for (int i = 0; i < parts; i++) s += part[i];
	double norm = sqrt(s);
	// norm − norm is 0 for a finite norm and NaN otherwise.
	c->gscale = norm - norm == 0.0 ? (float)fmin(1.0, clip / (norm + 1e-6)) : (float)(norm - norm);
}

extern "C" __global__ void sgd(float *p, const float *g, int n, const struct coef *c) {
	float lr = c->lr, wd = c->wd, s = c->gscale;
	FOR_EACH(i, n) { p[i] -= lr * (g[i] * s + wd * p[i]); }
}

extern "C" __global__ void momentum(float *p, float *v, const float *g, int n, const struct coef *c) {
	float lr = c->lr, wd = c->wd, mu = c->mu, s = c->gscale;
	FOR_EACH(i, n) {
		float vi = mu * v[i] + g[i] * s + wd * p[i];
		v[i] = vi;
		p[i] -= lr * vi;
	}
}

extern "C" __global__ void adam(float *p, float *m, float *v, const float *g, int n, const struct coef *c) {
	float lr = c->lr, wd = c->wd, b1 = c->beta1, b2 = c->beta2, eps = c->eps;
	float c1 = c->bias1, c2 = c->bias2, s = c->gscale;
	FOR_EACH(i, n) {
		float gi = g[i] * s;
		float mi = b1 * m[i] + (1.0f - b1) * gi;
		float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
		m[i] = mi;
		v[i] = vi;
		p[i] -= lr * ((mi * c1) / (sqrtf(vi * c2) + eps) + wd * p[i]);
	}
}
`

// The step's scalars on the device, struct coef of kernelSource:
// optim.Coefficients but GradScale (8 floats), the 1-based step number as
// a uint64 from float stepOffset on (dropout's masks depend on it),
// GradScale (which clip_scale overwrites on the device when clipping), and
// padding to the struct's size. TestCoefLayout checks these numbers and
// putCoefficients against the C struct.
const (
	coefLen    = 12
	stepOffset = 8
)

// putCoefficients writes c and the step number into dst (coefLen floats)
// as struct coef lays them out.
func putCoefficients(dst []float32, c optim.Coefficients, step int) {
	copy(dst, []float32{c.LR, c.WD, c.Mu, c.Beta1, c.Beta2, c.Eps, c.Bias1, c.Bias2,
		math.Float32frombits(uint32(step)), math.Float32frombits(uint32(uint64(step) >> 32)), c.GradScale})
}

// updateCalls returns the update of each parameter by opt: params and
// grads are the buffers of the parameters and of their gradients, sizes
// their elements.
func updateCalls(opt optim.Optimizer, params, grads, sizes []int) []kernelCall {
	name := map[optim.Method]string{optim.SGD: "sgd", optim.Momentum: "momentum", optim.Adam: "adam"}[opt.Method]
	var calls []kernelCall
	for i, n := range sizes {
		args := []any{region{buf: params[i]}}
		for j := range opt.Slots() {
			args = append(args, slotAt{param: i, slot: j})
		}
		args = append(args, region{buf: grads[i]}, n, coefAt(0))
		calls = append(calls, kernel(name, n, args...))
	}
	return calls
}

// clipBlocks returns the blocks that add up each parameter's squared
// gradient when the optimizer clips, one partial sum per block, and their
// total, on a device of sms multiprocessors.
func clipBlocks(sizes []int, sms int) (blocks []int, total int) {
	for _, n := range sizes {
		b := max(1, min((n+8*reduceThreads-1)/(8*reduceThreads), 2*sms))
		blocks = append(blocks, b)
		total += b
	}
	return blocks, total
}

// clipCalls returns the launches that set the step's GradScale on the
// device before the updates: a sum of squares of each gradient (in the
// buffers grads, of sizes elements), over blocks that each write a
// partial sum, then clip_scale over all the partial sums, in a fixed
// order.
func clipCalls(opt optim.Optimizer, grads, sizes []int, sms int) []kernelCall {
	blocks, total := clipBlocks(sizes, sms)
	var calls []kernelCall
	at := 0
	for i, n := range sizes {
		calls = append(calls, reduction("sum_squares", blocks[i], partsAt(at), region{buf: grads[i]}, n))
		at += blocks[i]
	}
	return append(calls, kernel("clip_scale", 1, coefAt(0), partsAt(0), total, float32(opt.ClipNorm)))
}

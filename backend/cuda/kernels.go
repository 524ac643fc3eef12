package cuda

// kernelSource is the CUDA C of every kernel the backend launches besides
// cuBLAS's. It is compiled once per process and device architecture with
// NVRTC (see compileKernels) and mirrors the CPU kernels in package ops,
// which are its reference in the conformance tests.
//
// Element-wise kernels walk their n elements with a grid-stride loop, so any
// grid size is correct; reductions that feed the loss run in one block and
// add in double precision in a fixed order, so a step's loss does not
// depend on the launch.
const kernelSource = `
#define FOR_EACH(i, n) \
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += blockDim.x * gridDim.x)

// Activation kinds, as actKind in lower.go.
#define ACT_LINEAR 0
#define ACT_RELU 1
#define ACT_LEAKY 2
#define ACT_SIGMOID 3
#define ACT_TANH 4
#define ACT_STEP 5

// Backward kinds, as gradKind in lower.go: what the first input is and
// how the gradient is formed from it.
#define GRAD_RELU 0     // x: dy·[x > 0]
#define GRAD_LEAKY 1    // x: dy·(x > 0 ? 1 : alpha)
#define GRAD_SIGMOID 2  // y: dy·y·(1 − y)
#define GRAD_TANH 3     // y: dy·(1 − y²)
#define GRAD_STE 4      // x: dy·[|x| ≤ 1]
#define GRAD_ZERO 5     // 0

// Loss kinds, as ops.LossKind.
#define LOSS_BCE 0
#define LOSS_MSE 1

__device__ __forceinline__ float sigmoid_f(float z) {
	// Never overflows: exp of a non-positive number only.
	if (z >= 0.0f) {
		return 1.0f / (1.0f + expf(-z));
	}
	float e = expf(z);
	return e / (1.0f + e);
}

__device__ __forceinline__ float activate(int kind, float z, float alpha) {
	switch (kind) {
	case ACT_RELU: return z > 0.0f ? z : 0.0f;
	case ACT_LEAKY: return z > 0.0f ? z : alpha * z;
	case ACT_SIGMOID: return sigmoid_f(z);
	case ACT_TANH: return tanhf(z);
	case ACT_STEP: return z > 0.0f ? 1.0f : 0.0f;
	}
	return z;
}

// y = act(x + b) over a rows×cols matrix x and a cols vector b; z, when not
// null, receives x + b (the backward pass of some activations reads it).
extern "C" __global__ void bias_act(float *y, float *z, const float *x, const float *b,
                                    int n, int cols, int kind, float alpha) {
	FOR_EACH(i, n) {
		float v = x[i] + b[i % cols];
		if (z) z[i] = v;
		y[i] = activate(kind, v, alpha);
	}
}

extern "C" __global__ void act(float *y, const float *x, int n, int kind, float alpha) {
	FOR_EACH(i, n) { y[i] = activate(kind, x[i], alpha); }
}

extern "C" __global__ void act_backward(float *dx, const float *v, const float *dy, int n, int kind,
                                        float alpha) {
	FOR_EACH(i, n) {
		float u = v[i], g = dy[i], d = 0.0f;
		switch (kind) {
		case GRAD_RELU: d = u > 0.0f ? g : 0.0f; break;
		case GRAD_LEAKY: d = u > 0.0f ? g : alpha * g; break;
		case GRAD_SIGMOID: d = g * u * (1.0f - u); break;
		case GRAD_TANH: d = g * (1.0f - u * u); break;
		case GRAD_STE: d = (u >= -1.0f && u <= 1.0f) ? g : 0.0f; break;
		}
		dx[i] = d;
	}
}

extern "C" __global__ void add(float *d, const float *a, const float *b, int n) {
	FOR_EACH(i, n) { d[i] = a[i] + b[i]; }
}

extern "C" __global__ void mul(float *d, const float *a, const float *b, int n) {
	FOR_EACH(i, n) { d[i] = a[i] * b[i]; }
}

// expand fills d with the scalar *s.
extern "C" __global__ void expand(float *d, const float *s, int n) {
	float v = *s;
	FOR_EACH(i, n) { d[i] = v; }
}

// block_sum adds v over the block in double precision; thread 0 gets the
// total. blockDim.x must be REDUCE_THREADS.
#define REDUCE_THREADS 1024
__device__ double block_sum(double v) {
	__shared__ double part[REDUCE_THREADS];
	part[threadIdx.x] = v;
	__syncthreads();
	for (int s = REDUCE_THREADS / 2; s > 0; s >>= 1) {
		if (threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
		__syncthreads();
	}
	return part[0];
}

// sum_all writes the sum of x to *out. One block of REDUCE_THREADS.
extern "C" __global__ void sum_all(float *out, const float *x, int n) {
	double s = 0.0;
	for (int i = threadIdx.x; i < n; i += blockDim.x) s += x[i];
	s = block_sum(s);
	if (threadIdx.x == 0) *out = (float)s;
}

// loss writes the mean loss of predictions (or logits) p against targets t
// to *out. One block of REDUCE_THREADS.
extern "C" __global__ void loss(float *out, const float *p, const float *t, int n, int kind) {
	double s = 0.0;
	for (int i = threadIdx.x; i < n; i += blockDim.x) {
		double z = p[i], y = t[i];
		if (kind == LOSS_BCE) {
			s += fmax(z, 0.0) - z * y + log1p(exp(-fabs(z)));
		} else {
			s += (z - y) * (z - y);
		}
	}
	s = block_sum(s);
	if (threadIdx.x == 0) *out = (float)(s / n);
}

// loss_backward writes d(loss)/dp, scaled by the upstream scalar *dl.
extern "C" __global__ void loss_backward(float *dp, const float *p, const float *t, const float *dl,
                                         int n, int kind) {
	float scale = *dl / n;
	FOR_EACH(i, n) {
		float z = p[i], y = t[i];
		dp[i] = kind == LOSS_BCE ? (sigmoid_f(z) - y) * scale : 2.0f * (z - y) * scale;
	}
}

// Optimizer coefficients, as graph.Coefficients.
struct coef {
	float lr, wd, mu, beta1, beta2, eps, bias1, bias2;
};

extern "C" __global__ void sgd(float *p, const float *g, int n, const struct coef *c) {
	float lr = c->lr, wd = c->wd;
	FOR_EACH(i, n) { p[i] -= lr * (g[i] + wd * p[i]); }
}

extern "C" __global__ void momentum(float *p, float *v, const float *g, int n, const struct coef *c) {
	float lr = c->lr, wd = c->wd, mu = c->mu;
	FOR_EACH(i, n) {
		float vi = mu * v[i] + g[i] + wd * p[i];
		v[i] = vi;
		p[i] -= lr * vi;
	}
}

extern "C" __global__ void adam(float *p, float *m, float *v, const float *g, int n, const struct coef *c) {
	float lr = c->lr, wd = c->wd, b1 = c->beta1, b2 = c->beta2, eps = c->eps;
	float c1 = c->bias1, c2 = c->bias2;
	FOR_EACH(i, n) {
		float gi = g[i];
		float mi = b1 * m[i] + (1.0f - b1) * gi;
		float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
		m[i] = mi;
		v[i] = vi;
		p[i] -= lr * ((mi * c1) / (sqrtf(vi * c2) + eps) + wd * p[i]);
	}
}
`

// kernelNames are the kernels of kernelSource the backend looks up.
var kernelNames = []string{
	"bias_act", "act", "act_backward", "add", "mul", "expand", "sum_all",
	"loss", "loss_backward", "sgd", "momentum", "adam",
}

// reduceThreads is REDUCE_THREADS of kernelSource.
const reduceThreads = 1024

package cuda

import "math"

// The batch normalisation kernels, per channel, in float64.

func (b bnRunningArgs) simulate(s *sim, in *instr) {
	out, st, r := s.mem[in.out], s.mem[in.in[0]], s.mem[in.in[1]]
	m, mom := float64(b.count), float64(b.momentum)
	for ch := range b.c {
		v := float64(st[ch])
		if b.variance {
			v = float64(st[b.c+ch])
			if m > 1 {
				v *= m / (m - 1)
			}
		}
		out[ch] = float32((1-mom)*float64(r[ch]) + mom*v)
	}
}

func (b bnStatsArgs) simulate(s *sim, in *instr) {
	g, out, x := b.shape, s.mem[in.out], s.mem[in.in[0]]
	m := float64(g.n * g.inner)
	for ch := range g.c {
		var mean, variance float64
		for k := range g.n * g.inner {
			mean += float64(x[g.at(ch, k)])
		}
		mean /= m
		for k := range g.n * g.inner {
			d := float64(x[g.at(ch, k)]) - mean
			variance += d * d
		}
		out[ch], out[g.c+ch] = float32(mean), float32(variance/m)
	}
}

// at is the index of value k of channel ch.
func (g bnShape) at(ch, k int) int { return (k/g.inner*g.c+ch)*g.inner + k%g.inner }

// simulate normalises with the batch's statistics (from the stats
// buffer) while training and the running ones otherwise.
func (b bnArgs) simulate(s *sim, in *instr) {
	g, out := b.shape, s.mem[in.out]
	arg := func(i int) []float32 { return s.mem[in.in[i]] }
	x, st, m := arg(0), arg(1), float64(g.n*g.inner)
	for ch := range g.c {
		var rmean, rvar []float32
		switch b.kernel {
		case "bn_forward": // x, stats, γ, β, mean, var
			rmean, rvar = arg(4), arg(5)
		case "bn_backward": // x, stats, γ, mean, var, dy
			rmean, rvar = arg(3), arg(4)
		default: // x, stats, mean, var, dy
			rmean, rvar = arg(2), arg(3)
		}
		mean, variance := float64(rmean[ch]), float64(rvar[ch])
		if s.training {
			mean, variance = float64(st[ch]), float64(st[g.c+ch])
		}
		inv := 1 / math.Sqrt(variance+float64(b.eps))
		if b.kernel == "bn_forward" {
			scale := float64(arg(2)[ch]) * inv
			shift := float64(arg(3)[ch]) - mean*scale
			for k := range g.n * g.inner {
				out[g.at(ch, k)] = float32(float64(x[g.at(ch, k)])*scale + shift)
			}
			continue
		}
		dy := arg(len(in.in) - 1)
		var sdy, sdyx float64
		for k := range g.n * g.inner {
			i := g.at(ch, k)
			sdy += float64(dy[i])
			sdyx += float64(dy[i]) * (float64(x[i]) - mean) * inv
		}
		if b.kernel == "bn_gamma_grad" {
			out[ch] = float32(sdyx)
			continue
		}
		k := float64(arg(2)[ch]) * inv
		for t := range g.n * g.inner {
			i := g.at(ch, t)
			if s.training {
				out[i] = float32(k * (float64(dy[i]) - sdy/m - (float64(x[i])-mean)*inv*sdyx/m))
			} else {
				out[i] = float32(k * float64(dy[i]))
			}
		}
	}
}

package cuda

import "math"

// simAct is the activation kind of z.
func simAct(kind actKind, z, alpha float32) float32 {
	switch kind {
	case actReLU:
		return max(z, 0)
	case actLeaky:
		if z > 0 {
			return z
		}
		return alpha * z
	case actSigmoid:
		return float32(1 / (1 + math.Exp(-float64(z))))
	case actTanh:
		return float32(math.Tanh(float64(z)))
	case actStep:
		if z > 0 {
			return 1
		}
		return 0
	}
	return z
}

func (a actArgs) simulate(s *sim, in *instr) {
	out := s.mem[in.out]
	for i, z := range s.mem[in.in[0]][:in.size()] {
		out[i] = simAct(a.kind, z, a.alpha)
	}
}

func (a actGradArgs) simulate(s *sim, in *instr) {
	out, v, dy := s.mem[in.out], s.mem[in.in[0]], s.mem[in.in[1]]
	for i := range in.size() {
		u, g := v[i], dy[i]
		var d float32
		switch a.kind {
		case gradReLU:
			if u > 0 {
				d = g
			}
		case gradLeaky:
			d = g
			if u <= 0 {
				d = a.alpha * g
			}
		case gradSigmoid:
			d = g * u * (1 - u)
		case gradTanh:
			d = g * (1 - u*u)
		case gradSTE:
			if u >= -1 && u <= 1 {
				d = g
			}
		}
		out[i] = d
	}
}

func (a binaryArgs) simulate(s *sim, in *instr) {
	out, x, y := s.mem[in.out], s.mem[in.in[0]], s.mem[in.in[1]]
	for i := range in.size() {
		if a.kernel == "add" {
			out[i] = x[i] + y[i]
		} else {
			out[i] = x[i] * y[i]
		}
	}
}

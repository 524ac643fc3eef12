package cuda

func (a poolArgs) simulate(s *sim, in *instr) {
	out, x := s.mem[in.out], s.mem[in.in[0]]
	switch a.kernel {
	case "maxpool", "maxpool_backward":
		simMaxPool(a, out, x, s.mem[in.in[len(in.in)-1]])
	default:
		simAvgPool(a, out, x)
	}
}

// simMaxPool is max pooling (y from x) or its gradient (dx from x and dy).
func simMaxPool(a poolArgs, out, x, dy []float32) {
	g := a.g
	if a.kernel == "maxpool_backward" {
		clear(out[:g.n*g.c*g.h*g.w])
	}
	for plane := range g.n * g.c {
		xp := x[plane*g.h*g.w:]
		for i := range g.oh {
			for j := range g.ow {
				best := i*g.sh*g.w + j*g.sw
				for p := range g.kh {
					for q := range g.kw {
						if k := (i*g.sh+p)*g.w + j*g.sw + q; xp[k] > xp[best] {
							best = k
						}
					}
				}
				o := (plane*g.oh+i)*g.ow + j
				if a.kernel == "maxpool" {
					out[o] = xp[best]
				} else {
					out[plane*g.h*g.w+best] += dy[o]
				}
			}
		}
	}
}

// simAvgPool is average pooling (y from x) or its gradient (dx from dy).
func simAvgPool(a poolArgs, out, src []float32) {
	g := a.g
	scale := 1 / float32(g.kh*g.kw)
	if a.kernel == "avgpool_backward" {
		clear(out[:g.n*g.c*g.h*g.w])
	}
	for plane := range g.n * g.c {
		for i := range g.oh {
			for j := range g.ow {
				o := (plane*g.oh+i)*g.ow + j
				var sum float32
				for p := range g.kh {
					for q := range g.kw {
						k := plane*g.h*g.w + (i*g.sh+p)*g.w + j*g.sw + q
						if a.kernel == "avgpool" {
							sum += src[k]
						} else {
							out[k] += src[o] * scale
						}
					}
				}
				if a.kernel == "avgpool" {
					out[o] = sum * scale
				}
			}
		}
	}
}

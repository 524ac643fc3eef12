package cuda

func (d dropoutArgs) simulate(s *sim, in *instr) {
	out, x := s.mem[in.out], s.mem[in.in[0]]
	m := d.op.Mask(uint64(s.state.Step + 1))
	for i := range in.size() {
		switch {
		case !s.training || d.op.Rate == 0:
			out[i] = x[i]
		case m.Keep(i):
			out[i] = x[i] * float32(m.Scale)
		default:
			out[i] = 0
		}
	}
}

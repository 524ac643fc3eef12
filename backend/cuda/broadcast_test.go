package cuda

func (a broadcastArgs) simulate(s *sim, in *instr) {
	out, x, y := s.mem[in.out], s.mem[in.in[a.at[0]]], s.mem[in.in[a.at[1]]]
	for i := range a.size() {
		xo, yo := a.offsets(i) // a's strides are the view's ys, b's its xs
		out[i] = simBinary(a.kind, x[xo], y[yo])
	}
}

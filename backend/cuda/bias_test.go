package cuda

func (b biasActArgs) simulate(s *sim, in *instr) {
	out, x, bias := s.mem[in.out], s.mem[in.in[0]], s.mem[in.in[1]]
	for i := range in.size() {
		z := x[i] + bias[(i/b.inner)%b.cols]
		if in.out2 >= 0 {
			s.mem[in.out2][i] = z
		}
		out[i] = simAct(b.act.kind, z, b.act.alpha)
	}
}

func (a sumRowsArgs) simulate(s *sim, in *instr) { s.blas(a.calls(in, s.plan.scratch, s.training)) }

func (a sumChannelsArgs) simulate(s *sim, in *instr) {
	out, x := s.mem[in.out], s.mem[in.in[0]]
	for c := range a.c {
		var sum float64
		for n := range a.n {
			for _, v := range x[(n*a.c+c)*a.hw:][:a.hw] {
				sum += float64(v)
			}
		}
		out[c] = float32(sum)
	}
}

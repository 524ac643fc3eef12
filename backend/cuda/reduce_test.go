package cuda

func (a sumArgs) simulate(s *sim, in *instr) {
	var sum float64
	for _, v := range s.mem[in.in[0]][:a.n] {
		sum += float64(v)
	}
	s.mem[in.out][0] = float32(sum)
}

func (expandArgs) simulate(s *sim, in *instr) {
	out := s.mem[in.out]
	for i := range out {
		out[i] = s.mem[in.in[0]][0]
	}
}

func (copyArgs) simulate(s *sim, in *instr) { copy(s.mem[in.out], s.mem[in.in[0]][:in.size()]) }

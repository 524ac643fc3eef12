package cuda

// simulate computes the product as cuBLAS defines it.
func (g gemmArgs) simulate(s *sim, in *instr) { s.blas(g.calls(in, s.plan.scratch, s.training)) }

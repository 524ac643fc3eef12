package cuda

// simulate computes the batch of products as cuBLAS defines them.
func (g batchedArgs) simulate(s *sim, in *instr) { s.blas(g.calls(in, s.plan.scratch, s.training)) }

package cuda

func (c convArgs) simulate(s *sim, in *instr) {
	simIm2col(c.g, s.mem[s.plan.scratch], s.mem[in.in[0]])
	s.blas(c.calls(in, s.plan.scratch, s.training))
}

func (c convFilterGradArgs) simulate(s *sim, in *instr) {
	simIm2col(c.g, s.mem[s.plan.scratch], s.mem[in.in[0]])
	s.blas(c.calls(in, s.plan.scratch, s.training))
}

func (c convInputGradArgs) simulate(s *sim, in *instr) {
	s.blas(c.calls(in, s.plan.scratch, s.training))
	simCol2im(c.g, s.mem[in.out], s.mem[s.plan.scratch])
}

// simIm2col unrolls the images as the im2col kernel does.
func simIm2col(g geom, col, x []float32) { simColumns(g, col, x, true) }

// simCol2im adds the columns back onto the pixels, as the col2im kernel.
func simCol2im(g geom, dx, col []float32) {
	clear(dx[:g.n*g.c*g.h*g.w])
	simColumns(g, col, dx, false)
}

// simColumns visits the column matrix col of the images img in the
// kernels' order: gather copies each pixel (0 in the padding) into its
// column entry, otherwise each entry is added back onto its pixel.
func simColumns(g geom, col, img []float32, gather bool) {
	t := 0
	for n := range g.n {
		for c := range g.c {
			for p := range g.kh {
				for q := range g.kw {
					for i := range g.oh {
						for j := range g.ow {
							h, w := i*g.sh+p-g.ph, j*g.sw+q-g.pw
							inside := h >= 0 && h < g.h && w >= 0 && w < g.w
							at := ((n*g.c+c)*g.h+h)*g.w + w
							switch {
							case gather && inside:
								col[t] = img[at]
							case gather:
								col[t] = 0
							case inside:
								img[at] += col[t]
							}
							t++
						}
					}
				}
			}
		}
	}
}

package cuda

// offsets returns where element i of v lies at the strides ys, and at
// the strides xs with its coordinates divided by div.
func (v view) offsets(i int) (yo, xo int) {
	for k := maxViewAxes - 1; k >= 0; k-- {
		c := i % v.dims[k]
		i /= v.dims[k]
		yo += c * v.ys[k]
		xo += c / v.div[k] * v.xs[k]
	}
	return yo, xo
}

// simCopy is strided_copy of v from x to y in Go.
func (v view) simCopy(y, x []float32) {
	for i := range v.size() {
		yo, xo := v.offsets(i)
		y[yo] = x[xo]
	}
}

func (a viewArgs) simulate(s *sim, in *instr) { a.simCopy(s.at(in.result(), 0), s.at(in.arg(0), 0)) }

func (a sliceArgs) simulate(s *sim, in *instr) {
	if !a.scatter {
		a.simCopy(s.at(in.result(), 0), s.at(in.arg(0), a.offset))
		return
	}
	clear(s.mem[in.out][:in.size()])
	a.simCopy(s.at(in.result(), a.offset), s.at(in.arg(1), 0))
}

func (a concatArgs) simulate(s *sim, in *instr) {
	for i, v := range a.parts {
		v.simCopy(s.at(in.result(), a.offsets[i]), s.at(in.arg(i), 0))
	}
}

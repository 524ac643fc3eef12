package cpukernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/neurone-dl/neurone/internal/blas"
)

// ReLUPool, ReLUPoolBackward and ReLUPoolNormBackward give the bits of
// the kernels they fuse, run one after the other (a bias or a batch
// normalisation, ReLU, MaxPool, then MaxPoolBackward, ReLUBackward,
// SumChannels or BatchNormBackward), on maps of
// odd and even sides (an odd side's last row and column are in no window),
// narrow and wide (rows of 8 windows and more, which amd64 pools with
// AVX2), drawn from values that tie, sit at and around zero, and are NaN.
func TestReLUPoolMatchesUnfused(t *testing.T) {
	t.Parallel()
	nan := nan()
	for _, tc := range []struct {
		n, c, h, w int
		batchNorm  bool
		vals       []float32 // drawn from; nil: uniform in [−1, 1)
	}{
		{n: 3, c: 2, h: 6, w: 8},
		{n: 2, c: 3, h: 7, w: 5},
		{n: 2, c: 3, h: 7, w: 9, batchNorm: true},
		{n: 4, c: 2, h: 4, w: 6, vals: []float32{nan, -1, 0, float32(math.Copysign(0, -1)), 0.5, 1}},
		{n: 4, c: 2, h: 5, w: 4, vals: []float32{nan, -1, 0, 1}, batchNorm: true},
		// Rows of 8 windows and more: amd64's AVX2 rows, and their tails.
		{n: 2, c: 2, h: 6, w: 50},
		{n: 2, c: 2, h: 5, w: 35, batchNorm: true},
		{n: 2, c: 2, h: 4, w: 34, vals: []float32{nan, -1, 0, float32(math.Copysign(0, -1)), 0.5, 1}, batchNorm: true},
		{n: 2, c: 2, h: 4, w: 33, vals: []float32{-1, 0, float32(math.Copysign(0, -1)), 0.5, 1}},
		// Maps of narrow rows, whose windows amd64 gathers into one row.
		{n: 2, c: 3, h: 12, w: 12},
		{n: 2, c: 2, h: 25, w: 25, batchNorm: true},
		{n: 2, c: 2, h: 9, w: 13, vals: []float32{nan, -1, 0, float32(math.Copysign(0, -1)), 0.5, 1}},
		{n: 2, c: 2, h: 8, w: 12, vals: []float32{-1, 0, float32(math.Copysign(0, -1)), 0.5, 1}, batchNorm: true},
	} {
		t.Run(fmt.Sprintf("%dx%dx%dx%d/batchnorm=%t/edges=%t", tc.n, tc.c, tc.h, tc.w, tc.batchNorm, tc.vals != nil), func(t *testing.T) {
			t.Parallel()
			checkReLUPool(t, tc.n, tc.c, tc.h, tc.w, tc.batchNorm, tc.vals)
		})
	}
}

func checkReLUPool(t *testing.T, n, c, h, w int, batchNorm bool, vals []float32) {
	rng := rand.New(rand.NewPCG(uint64(n*c), uint64(h*w)))
	draw := func(size int) []float32 {
		x := make([]float32, size)
		for i := range x {
			if vals != nil {
				x[i] = vals[rng.IntN(len(vals))]
			} else {
				x[i] = rng.Float32()*2 - 1
			}
		}
		return x
	}
	g := Channels{N: n, C: c, Inner: h * w}
	pool := Pool{Planes: n * c, H: h, W: w, OH: h / 2, OW: w / 2, KH: 2, KW: 2, SH: 2, SW: 2}
	x, dy := draw(n*c*h*w), draw(n*c*(h/2)*(w/2))
	if vals != nil {
		x[0], x[1], x[w], x[w+1] = nan(), nan(), nan(), nan() // a window all NaN pools to NaN
		dy[0] = float32(math.Copysign(0, -1))                 // gets 0 + dy, as MaxPoolBackward adds it
	}
	fused := ReLUPool{Layout: g, H: h, W: w, X: x, Y: make([]float32, len(dy)), Route: make([]uint8, len(dy))}

	// The unfused forward pass: z, a = ReLU(z), y = MaxPool(a).
	z := make([]float32, len(x))
	var stats, gamma []float32
	if batchNorm {
		var beta []float32
		stats, gamma, beta = make([]float32, 2*c), draw(c), draw(c)
		BatchNormStats(g, stats, x)
		BatchNorm(g, 1e-5, true, z, x, stats, gamma, beta, nil, nil)
		fused.Scale, fused.Shift = make([]float64, c), make([]float64, c)
		for ch := range c {
			fused.Scale[ch], fused.Shift[ch] = BatchNormCoefficients(g, 1e-5, true, ch, stats, gamma, beta, nil, nil)
		}
	} else {
		fused.Bias = draw(c)
		for p := range n * c {
			for i := range g.Inner {
				z[p*g.Inner+i] = x[p*g.Inner+i] + fused.Bias[p%c]
			}
		}
	}
	a, y := make([]float32, len(x)), make([]float32, len(dy))
	ReLU(a, z, nil, 0)
	MaxPool(pool, y, a)
	fused.Planes(0, n*c)
	sameFloats(t, "pooled", fused.Y, y)

	// The unfused backward pass: da, dz = ReLUBackward(z, da), db.
	da, dz, db := make([]float32, len(x)), make([]float32, len(x)), make([]float32, c)
	MaxPoolBackward(pool, da, a, dy)
	ReLUBackward(dz, z, da, 0)
	SumChannels(g.Inner, db, dz)
	back := ReLUPoolBackward{Layout: g, H: h, W: w, Route: fused.Route, Dy: dy, DZ: draw(len(x)), DBias: make([]float32, c)}
	back.Channels(0, c)
	sameFloats(t, "dz", back.DZ, dz)
	sameFloats(t, "bias gradient", back.DBias, db)
	if !batchNorm {
		return
	}

	// The batch normalisation's gradients from dz, and from the routes.
	norm := BatchNormBackward{Layout: g, Eps: 1e-5, X: x, Stats: stats, Gamma: gamma, Dy: dz,
		DX: make([]float32, len(x)), DGamma: make([]float32, c), DBeta: make([]float32, c)}
	norm.Channels(0, c)
	joined := ReLUPoolNormBackward{Pool: back, Norm: norm}
	joined.Pool.DZ, joined.Pool.DBias, joined.Norm.Dy = nil, nil, nil
	joined.Norm.DX, joined.Norm.DGamma, joined.Norm.DBeta = draw(len(x)), draw(c), draw(c)
	joined.Channels(0, 1)
	joined.Channels(1, c)
	sameFloats(t, "batch normalisation's dx", joined.Norm.DX, norm.DX)
	sameFloats(t, "γ's gradient", joined.Norm.DGamma, norm.DGamma)
	sameFloats(t, "β's gradient", joined.Norm.DBeta, norm.DBeta)
}

// sameFloats fails t unless got and want hold the same bits.
func sameFloats(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d]: fused %v, unfused %v", what, i, got[i], want[i])
		}
	}
}

func nan() float32 { return float32(math.NaN()) }

// sameProducts is sameFloats for results of matrix products, which hold
// the same bits wherever the products run on the project's AVX-512
// kernels or on OpenBLAS. gonum's products round by their operands'
// alignment (its dot products peel elements off to align), and a fused
// kernel's buffers are not aligned as the unfused one's slices: with
// gonum, got must be within 1e-6 of want's largest magnitude.
func sameProducts(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if blas.Kind() != blas.Gonum {
		sameFloats(t, what, got, want)
		return
	}
	var scale float64
	for _, v := range want {
		scale = max(scale, math.Abs(float64(v)))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= 1e-6*scale) {
			t.Fatalf("%s[%d]: fused %v, unfused %v (gonum's products)", what, i, got[i], want[i])
		}
	}
}

// TestConvReLUPoolMatchesUnfused checks that ConvReLUPool gives the bits
// of ConvForward then ReLUPool, and ConvReLUPoolBackward those of
// ReLUPoolBackward then ConvFilterGrad and ConvInputGrad, on both
// products' paths, for the convolutions of convPoolGeometries.
func TestConvReLUPoolMatchesUnfused(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, g := range convPoolGeometries() {
		x, w, bias := randFloats(r, g.N*g.inSize()), randFloats(r, g.F*g.colRows()), randFloats(r, g.F)
		outs := g.N * g.F * (g.OH / 2) * (g.OW / 2)
		for _, avx512 := range kernelChoices(haveAVX512) {
			t.Run(fmt.Sprintf("%+v/avx512=%v", g, avx512), func(t *testing.T) {
				defer setAVX512(avx512)()
				layout := Channels{N: g.N, C: g.F, Inner: g.OH * g.OW}
				y := make([]float32, g.N*g.outSize())
				ConvForward(g, y, x, w)
				want := ReLUPool{Layout: layout, H: g.OH, W: g.OW, X: y, Bias: bias, Y: make([]float32, outs), Route: make([]uint8, outs)}
				want.Planes(0, g.N*g.F)
				got := ReLUPool{Layout: layout, H: g.OH, W: g.OW, Bias: bias, Y: randFloats(r, outs), Route: make([]uint8, outs)}
				for i := range got.Route {
					got.Route[i] = 9
				}
				ConvReLUPool(g, &got, x, w)
				sameFloats(t, "pooled", got.Y, want.Y)
				for i := range want.Route {
					if got.Route[i] != want.Route[i] {
						t.Fatalf("route[%d] = %d, want %d", i, got.Route[i], want.Route[i])
					}
				}

				// The gradients, unfused: dz and the bias's, then the
				// convolution's.
				dy := randFloats(r, outs)
				pool := ReLUPoolBackward{Layout: layout, H: g.OH, W: g.OW, Route: want.Route, Dy: dy, DZ: make([]float32, len(y)), DBias: make([]float32, g.F)}
				pool.Channels(0, g.F)
				dw, dx := make([]float32, len(w)), make([]float32, len(x))
				ConvFilterGrad(g, dw, x, pool.DZ)
				ConvInputGrad(g, dx, w, pool.DZ)
				for _, withDX := range []bool{true, false} {
					back := ConvReLUPoolBackward{Conv: g, Pool: pool, X: x, W: w, DW: randFloats(r, len(w))}
					back.Pool.DZ, back.Pool.DBias = nil, randFloats(r, g.F)
					if withDX {
						back.DX = randFloats(r, len(x))
					}
					back.Run()
					sameFloats(t, "bias gradient", back.Pool.DBias, pool.DBias)
					sameProducts(t, "filter gradient", back.DW, dw)
					if withDX {
						sameProducts(t, "input gradient", back.DX, dx)
					}
				}
			})
		}
	}
}

// convPoolGeometries are the convolutions the tests of ConvReLUPool and
// its gradient run: outputs of even and odd sides, narrow and wide rows
// (gathered and not), stride 2, and batches of one to three chunks of the
// filter gradient.
func convPoolGeometries() []Conv {
	gs := []Conv{
		{N: 3, C: 2, H: 12, W: 12, F: 8, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1},
		{N: 2, C: 3, H: 25, W: 25, F: 5, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1},
		{N: 2, C: 1, H: 20, W: 70, F: 4, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1},
		{N: 5, C: 1, H: 30, W: 30, F: 8, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1},
		{N: 17, C: 2, H: 10, W: 10, F: 3, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1},
	}
	for i := range gs {
		g := &gs[i]
		g.OH = (g.H+2*g.PH-g.KH)/g.SH + 1
		g.OW = (g.W+2*g.PW-g.KW)/g.SW + 1
	}
	return gs
}

// TestConvReLUPoolNormBackwardMatchesUnfused checks that
// ConvReLUPoolBackward with batch normalisation gives the bits of
// ReLUPoolBackward, BatchNormBackward, then ConvFilterGrad and
// ConvInputGrad, on both products' paths.
func TestConvReLUPoolNormBackwardMatchesUnfused(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, g := range convPoolGeometries() {
		x, w, gamma, beta := randFloats(r, g.N*g.inSize()), randFloats(r, g.F*g.colRows()), randFloats(r, g.F), randFloats(r, g.F)
		layout := Channels{N: g.N, C: g.F, Inner: g.OH * g.OW}
		outs := g.N * g.F * (g.OH / 2) * (g.OW / 2)
		y, stats := make([]float32, g.N*g.outSize()), make([]float32, 2*g.F)
		ConvForward(g, y, x, w)
		BatchNormStats(layout, stats, y)
		fwd := ReLUPool{Layout: layout, H: g.OH, W: g.OW, X: y, Scale: make([]float64, g.F), Shift: make([]float64, g.F), Y: make([]float32, outs), Route: make([]uint8, outs)}
		for c := range g.F {
			fwd.Scale[c], fwd.Shift[c] = BatchNormCoefficients(layout, 1e-5, true, c, stats, gamma, beta, nil, nil)
		}
		fwd.Planes(0, g.N*g.F)
		for _, avx512 := range kernelChoices(haveAVX512) {
			t.Run(fmt.Sprintf("%+v/avx512=%v", g, avx512), func(t *testing.T) {
				defer setAVX512(avx512)()
				// Unfused: dz, the normalisation's gradients, then the
				// convolution's.
				pool := ReLUPoolBackward{Layout: layout, H: g.OH, W: g.OW, Route: fwd.Route, Dy: randFloats(r, outs), DZ: make([]float32, len(y))}
				pool.Channels(0, g.F)
				norm := BatchNormBackward{Layout: layout, Eps: 1e-5, X: y, Stats: stats, Gamma: gamma, Dy: pool.DZ,
					DX: make([]float32, len(y)), DGamma: make([]float32, g.F), DBeta: make([]float32, g.F)}
				norm.Channels(0, g.F)
				dw, dx := make([]float32, len(w)), make([]float32, len(x))
				ConvFilterGrad(g, dw, x, norm.DX)
				ConvInputGrad(g, dx, w, norm.DX)
				for _, withDX := range []bool{true, false} {
					got := BatchNormBackward{Layout: layout, Eps: 1e-5, X: y, Stats: stats, Gamma: gamma, DGamma: randFloats(r, g.F), DBeta: randFloats(r, g.F)}
					back := ConvReLUPoolBackward{Conv: g, Pool: pool, Norm: &got, X: x, W: w, DW: randFloats(r, len(w))}
					back.Pool.DZ = nil
					if withDX {
						back.DX = randFloats(r, len(x))
					}
					back.Run()
					sameFloats(t, "γ's gradient", got.DGamma, norm.DGamma)
					sameFloats(t, "β's gradient", got.DBeta, norm.DBeta)
					sameProducts(t, "filter gradient", back.DW, dw)
					if withDX {
						sameProducts(t, "input gradient", back.DX, dx)
					}
				}
			})
		}
	}
}

// TestConvBatchNormStatsMatchesUnfused checks that ConvBatchNormStats
// gives the bits of ConvForward then BatchNormStats, in float32 on both
// products' paths and in float64.
func TestConvBatchNormStatsMatchesUnfused(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, g := range convPoolGeometries() {
		x, w := randFloats(r, g.N*g.inSize()), randFloats(r, g.F*g.colRows())
		layout := Channels{N: g.N, C: g.F, Inner: g.OH * g.OW}
		for _, avx512 := range kernelChoices(haveAVX512) {
			t.Run(fmt.Sprintf("%+v/avx512=%v", g, avx512), func(t *testing.T) {
				defer setAVX512(avx512)()
				y, stats := make([]float32, g.N*g.outSize()), make([]float32, 2*g.F)
				ConvForward(g, y, x, w)
				BatchNormStats(layout, stats, y)
				gotY, gotStats := randFloats(r, len(y)), randFloats(r, len(stats))
				ConvBatchNormStats(g, gotY, gotStats, x, w)
				sameFloats(t, "y", gotY, y)
				sameFloats(t, "statistics", gotStats, stats)
			})
		}
		t.Run(fmt.Sprintf("%+v/float64", g), func(t *testing.T) {
			x64, w64 := widen(x), widen(w)
			y, stats := make([]float64, g.N*g.outSize()), make([]float64, 2*g.F)
			ConvForward(g, y, x64, w64)
			BatchNormStats(layout, stats, y)
			gotY, gotStats := make([]float64, len(y)), make([]float64, len(stats))
			ConvBatchNormStats(g, gotY, gotStats, x64, w64)
			for i := range stats {
				if math.Float64bits(gotStats[i]) != math.Float64bits(stats[i]) {
					t.Fatalf("statistics[%d] = %v, want %v", i, gotStats[i], stats[i])
				}
			}
		})
	}
}

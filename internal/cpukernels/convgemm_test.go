package cpukernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// checkProduct compares got (m×n, rows ldc apart) with the float64 product
// want, within float32's rounding of sums of k terms of the sizes in mag.
func checkProduct(t *testing.T, got []float32, ldc int, want, mag []float64, m, n, k int) {
	t.Helper()
	tol := 4 * float64(k+2) * 0x1p-24
	for i := range m {
		for j := range n {
			g, w := float64(got[i*ldc+j]), want[i*n+j]
			if math.Abs(g-w) > tol*mag[i*n+j] || math.IsNaN(g) {
				t.Fatalf("c[%d,%d] = %v, want %v (±%.3g)", i, j, g, w, tol*mag[i*n+j])
			}
		}
	}
}

func randFloats(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// The sizes the products are tried at: every remainder of the kernels'
// blocks (8 and 3 rows, 48 and 16 columns, 16 and 768 inner) and the
// convolutions' own.
var (
	productRows  = []int{1, 3, 7, 8, 9, 16, 17, 24, 72}
	productCols  = []int{1, 8, 15, 16, 17, 47, 48, 49, 65, 200, 625}
	productInner = []int{1, 2, 9, 15, 16, 17, 72, 144, 769, 2500}
)

// TestConvGemmNN checks convGemmNN, a and its transpose, against float64
// products, on the AVX-512 kernel where the CPU has it and on the BLAS;
// the rows of c past n and the padding between rows must stay untouched.
func TestConvGemmNN(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, avx512 := range kernelChoices(haveAVX512) {
		for _, transA := range []bool{false, true} {
			for _, m := range productRows {
				for _, n := range productCols {
					for _, k := range productInner {
						if m*n*k > 4e6 {
							continue
						}
						t.Run(fmt.Sprintf("avx512=%v/transA=%v/%dx%dx%d", avx512, transA, m, n, k), func(t *testing.T) {
							defer setAVX512(avx512)()
							lda, ldb, ldc := k+3, n+5, n+2
							if transA {
								lda = m + 1
							}
							a := randFloats(r, max(m, k)*lda)
							b := randFloats(r, k*ldb)
							c := randFloats(r, m*ldc)
							guard := append([]float32(nil), c...)
							want, mag := make([]float64, m*n), make([]float64, m*n)
							for i := range m {
								for j := range n {
									for p := range k {
										av := a[i*lda+p]
										if transA {
											av = a[p*lda+i]
										}
										x := float64(av) * float64(b[p*ldb+j])
										want[i*n+j] += x
										mag[i*n+j] += math.Abs(x)
									}
								}
							}
							convGemmNN(transA, m, n, k, a, lda, b, ldb, c, ldc, nil)
							checkProduct(t, c, ldc, want, mag, m, n, k)
							for i := range m {
								for j := n; j < ldc; j++ {
									if c[i*ldc+j] != guard[i*ldc+j] {
										t.Fatalf("c[%d,%d] past the %d columns was written", i, j, n)
									}
								}
							}
						})
					}
				}
			}
		}
	}
}

// TestConvGemmNT checks convGemmNT, with beta 0 and 1, against float64
// products on both paths.
func TestConvGemmNT(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, avx512 := range kernelChoices(haveAVX512) {
		for _, beta := range []float32{0, 1} {
			for _, m := range []int{3, 6, 9, 72, 7} {
				for _, n := range []int{8, 16, 32, 5} {
					for _, k := range productInner {
						t.Run(fmt.Sprintf("avx512=%v/beta=%v/%dx%dx%d", avx512, beta, m, n, k), func(t *testing.T) {
							defer setAVX512(avx512)()
							lda, ldb, ldc := k+1, k+7, n+3
							a, b, c := randFloats(r, m*lda), randFloats(r, n*ldb), randFloats(r, m*ldc)
							guard := append([]float32(nil), c...)
							want, mag := make([]float64, m*n), make([]float64, m*n)
							for i := range m {
								for j := range n {
									if beta == 1 {
										want[i*n+j] = float64(c[i*ldc+j])
										mag[i*n+j] = math.Abs(want[i*n+j])
									}
									for p := range k {
										x := float64(a[i*lda+p]) * float64(b[j*ldb+p])
										want[i*n+j] += x
										mag[i*n+j] += math.Abs(x)
									}
								}
							}
							convGemmNT(m, n, k, a, lda, b, ldb, beta, c, ldc)
							checkProduct(t, c, ldc, want, mag, m, n, k)
							for i := range m {
								for j := n; j < ldc; j++ {
									if c[i*ldc+j] != guard[i*ldc+j] {
										t.Fatalf("c[%d,%d] past the %d columns was written", i, j, n)
									}
								}
							}
						})
					}
				}
			}
		}
	}
}

// kernelChoices is {false} without the kernels and {false, true} with.
func kernelChoices(have bool) []bool {
	if have {
		return []bool{false, true}
	}
	return []bool{false}
}

// setAVX512 sets haveAVX512 and returns what restores it.
func setAVX512(on bool) func() {
	was := haveAVX512
	haveAVX512 = on
	return func() { haveAVX512 = was }
}

// TestConvFloat32 checks the float32 convolution kernels, on the AVX-512
// products where the CPU has them and on the BLAS, against the float64
// kernels (gradient-checked in package ops): stride 1 with and without
// padding, filters of one to five rows and columns, channel counts on and
// off the kernels' blocks of 3 and 8, and stride 2.
func TestConvFloat32(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	geoms := []Conv{
		{N: 3, C: 8, H: 9, W: 7, F: 16, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1},
		{N: 2, C: 3, H: 6, W: 5, F: 8, KH: 3, KW: 3, SH: 1, SW: 1, PH: 0, PW: 0},
		{N: 2, C: 2, H: 7, W: 8, F: 5, KH: 3, KW: 2, SH: 1, SW: 1, PH: 2, PW: 1},
		{N: 2, C: 4, H: 5, W: 6, F: 8, KH: 1, KW: 1, SH: 1, SW: 1, PH: 0, PW: 0},
		{N: 2, C: 3, H: 11, W: 10, F: 24, KH: 5, KW: 5, SH: 1, SW: 1, PH: 2, PW: 2},
		{N: 9, C: 1, H: 20, W: 20, F: 8, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1},
		{N: 2, C: 2, H: 7, W: 9, F: 3, KH: 3, KW: 3, SH: 2, SW: 1, PH: 1, PW: 0},
	}
	for _, g := range geoms {
		g.OH = (g.H+2*g.PH-g.KH)/g.SH + 1
		g.OW = (g.W+2*g.PW-g.KW)/g.SW + 1
		x, w, dy := randFloats(r, g.N*g.inSize()), randFloats(r, g.F*g.colRows()), randFloats(r, g.N*g.outSize())
		x64, w64, dy64 := widen(x), widen(w), widen(dy)
		y64, dw64, dx64 := make([]float64, len(dy)), make([]float64, len(w)), make([]float64, len(x))
		ConvForward(g, y64, x64, w64)
		ConvFilterGrad(g, dw64, x64, dy64)
		ConvInputGrad(g, dx64, w64, dy64)
		// Each result sums at most this many products of values about 1.
		terms := float64(max(g.colRows(), g.N*g.OH*g.OW, g.F*g.KH*g.KW))
		for _, avx512 := range kernelChoices(haveAVX512) {
			t.Run(fmt.Sprintf("%+v/avx512=%v", g, avx512), func(t *testing.T) {
				defer setAVX512(avx512)()
				y, dw, dx := make([]float32, len(dy)), make([]float32, len(w)), make([]float32, len(x))
				ConvForward(g, y, x, w)
				ConvFilterGrad(g, dw, x, dy)
				ConvInputGrad(g, dx, w, dy)
				for _, c := range []struct {
					name string
					got  []float32
					want []float64
				}{{"y", y, y64}, {"dw", dw, dw64}, {"dx", dx, dx64}} {
					for i, v := range c.got {
						if d := math.Abs(float64(v) - c.want[i]); !(d <= 1e-6*terms*4) {
							t.Fatalf("%s[%d] = %v, want %v", c.name, i, v, c.want[i])
						}
					}
				}
			})
		}
	}
}

func widen(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

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

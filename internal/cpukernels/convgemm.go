package cpukernels

// The matrix products of a convolution are small (8 to 384 rows, 9 to
// 3,456 inner, a few hundred to a few thousand columns) and there are
// three per image. In float32 on CPUs with AVX-512 they run on the
// kernels of gemm_amd64.s, whatever OPENBLAS_CORETYPE holds the BLAS to
// (Haswell's AVX2 kernels on a machine that sets it so); elsewhere, and in
// float64, on the BLAS. Both orders of summation are fixed, so a result
// does not vary from run to run on one machine.

// l1Floats is how many float32 values a kernel's working set may take, so
// that it stays in a 48 KiB L1 data cache beside what streams through.
const l1Floats = 8192

// ntInner is the stretch of the inner dimension convGemmNT takes per
// call: 8 rows of B and 3 of A of it fit in l1Floats.
const ntInner = 768

// convGemmNN computes c = op(a)·b: op(a) m×k, a itself (rows lda apart)
// or, with transA, the transpose of a (k×m, rows lda apart); b k×n and c
// m×n, rows ldb and ldc apart. packed is op(a) as packNN packed it, or
// nil.
func convGemmNN[T Float](transA bool, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int, packed []T) {
	if !use512[T](m, n, k) {
		gemmColumns(transA, m, n, k, a, lda, b, ldb, 0, c, ldc)
		return
	}
	if packed == nil {
		p := packNN(transA, m, k, a, lda)
		defer putScratch(p)
		packed = *p
	}
	gemmNN512(m, n, k, as[float32](packed), as[float32](b), ldb, as[float32](c), ldc)
}

// use512 says whether a product of these sizes runs on the AVX-512
// kernels.
func use512[T Float](m, n, k int) bool {
	return is32[T]() && haveAVX512 && m > 0 && n > 0 && k > 0
}

// packNN returns op(a) (m×k, as convGemmNN takes it) packed for the
// kernel sgemm8NN, or nil where convGemmNN does not use it; hand it back
// with putScratch. Its blocks of 8 rows (zeros past m) each hold column
// kk of the block at [8·kk, 8·kk+8). A convolution packs its filters once
// for all the images.
func packNN[T Float](transA bool, m, k int, a []T, lda int) *[]T {
	if !use512[T](m, 1, k) {
		return nil
	}
	if transA {
		_ = a[(k-1)*lda+m-1]
	} else {
		_ = a[(m-1)*lda+k-1]
	}
	blocks := (m + 7) / 8
	packed := getScratch[T](blocks * 8 * k)
	pa := *packed
	for blk := range blocks {
		p := pa[blk*8*k : (blk+1)*8*k]
		for r := range 8 {
			i := blk*8 + r
			switch {
			case i >= m:
				for kk := range k {
					p[kk*8+r] = 0
				}
			case transA:
				for kk := range k {
					p[kk*8+r] = a[kk*lda+i]
				}
			default:
				for kk, v := range a[i*lda : i*lda+k] {
					p[kk*8+r] = v
				}
			}
		}
	}
	return packed
}

// gemmNN512 is convGemmNN on the AVX-512 kernel sgemm8NN, op(a) packed:
// each block of b's columns, as wide as keeps it in L1, is multiplied by
// every block of 8 rows in turn. The last block of rows, if short, goes
// through a scratch matrix.
func gemmNN512(m, n, k int, pa, b []float32, ldb int, c []float32, ldc int) {
	// The kernel reads and writes through pointers: check the extents here.
	blocks := (m + 7) / 8
	_ = pa[blocks*8*k-1]
	_ = b[(k-1)*ldb+n-1]
	_ = c[(m-1)*ldc+n-1]

	width := max(48, l1Floats/k/48*48)
	var short []float32 // the last block's rows, if fewer than 8
	if m%8 != 0 {
		s := getScratch[float32](8 * min(width, n))
		defer putScratch(s)
		short = *s
	}
	for j := 0; j < n; j += width {
		w := min(width, n-j)
		for blk := range blocks {
			p := &pa[blk*8*k]
			if rows := m - blk*8; rows < 8 {
				sgemm8NNAVX512(p, &b[j], ldb, &short[0], w, k, w)
				for r := range rows {
					copy(c[(blk*8+r)*ldc+j:][:w], short[r*w:(r+1)*w])
				}
				continue
			}
			sgemm8NNAVX512(p, &b[j], ldb, &c[blk*8*ldc+j], ldc, k, w)
		}
	}
}

// convGemmNT computes c = a·bᵀ + beta·c, beta 0 or 1: a m×k, b n×k and c
// m×n, rows lda, ldb and ldc apart.
func convGemmNT[T Float](m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if !use512[T](m, n, k) || m%3 != 0 || n%8 != 0 {
		gemmInnerNT(m, n, k, a, lda, b, ldb, beta, c, ldc)
		return
	}
	gemmNT512(m, n, k, as[float32](a), lda, as[float32](b), ldb, beta == 0, as[float32](c), ldc)
}

// gemmNT512 is convGemmNT on the AVX-512 kernel sgemm3x8NT, m a multiple
// of 3 and n of 8: for each stretch of the inner dimension, each block of
// 8 rows of b, kept in L1, meets every block of 3 rows of a in turn.
func gemmNT512(m, n, k int, a []float32, lda int, b []float32, ldb int, overwrite bool, c []float32, ldc int) {
	_ = a[(m-1)*lda+k-1]
	_ = b[(n-1)*ldb+k-1]
	_ = c[(m-1)*ldc+n-1]
	if overwrite {
		for i := range m {
			clear(c[i*ldc : i*ldc+n])
		}
	}
	for p := 0; p < k; p += ntInner {
		kk := min(ntInner, k-p)
		for j := 0; j < n; j += 8 {
			for i := 0; i < m; i += 3 {
				sgemm3x8NTAVX512(&a[i*lda+p], lda, &b[j*ldb+p], ldb, &c[i*ldc+j], ldc, kk)
			}
		}
	}
}

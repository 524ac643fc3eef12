//go:build !purego

#include "textflag.h"

// The float32 matrix products of the convolutions (convgemm.go) with
// AVX-512: sgemm8NN for the forward product and the input gradient, C =
// A·B with A packed, sgemm3x8NT for the filter gradient, C += A·Bᵀ.

// ZERO24 zeroes the accumulators Z0-Z23.
#define ZERO24 \
	VPXORD Z0, Z0, Z0 \
	VPXORD Z1, Z1, Z1 \
	VPXORD Z2, Z2, Z2 \
	VPXORD Z3, Z3, Z3 \
	VPXORD Z4, Z4, Z4 \
	VPXORD Z5, Z5, Z5 \
	VPXORD Z6, Z6, Z6 \
	VPXORD Z7, Z7, Z7 \
	VPXORD Z8, Z8, Z8 \
	VPXORD Z9, Z9, Z9 \
	VPXORD Z10, Z10, Z10 \
	VPXORD Z11, Z11, Z11 \
	VPXORD Z12, Z12, Z12 \
	VPXORD Z13, Z13, Z13 \
	VPXORD Z14, Z14, Z14 \
	VPXORD Z15, Z15, Z15 \
	VPXORD Z16, Z16, Z16 \
	VPXORD Z17, Z17, Z17 \
	VPXORD Z18, Z18, Z18 \
	VPXORD Z19, Z19, Z19 \
	VPXORD Z20, Z20, Z20 \
	VPXORD Z21, Z21, Z21 \
	VPXORD Z22, Z22, Z22 \
	VPXORD Z23, Z23, Z23

// ROW48 adds row r of the packed A (at AX), broadcast into Z27, times the
// three vectors of B in Z24-Z26, to that row's accumulators.
#define ROW48(off, acc0, acc1, acc2) \
	VBROADCASTSS off(AX), Z27; \
	VFMADD231PS  Z24, Z27, acc0; \
	VFMADD231PS  Z25, Z27, acc1; \
	VFMADD231PS  Z26, Z27, acc2

// STORE48 stores a row's three accumulators at DI and moves DI a row on.
#define STORE48(acc0, acc1, acc2) \
	VMOVUPS acc0, (DI); \
	VMOVUPS acc1, 64(DI); \
	VMOVUPS acc2, 128(DI); \
	ADDQ    R13, DI

// STORE16 stores a row's accumulator at DI under the mask K1 and moves DI
// a row on.
#define STORE16(acc) \
	VMOVUPS acc, K1, (DI); \
	ADDQ    R13, DI

// ROW16 is ROW48 for one vector of B, Z24.
#define ROW16(off, acc) \
	VBROADCASTSS off(AX), Z27; \
	VFMADD231PS  Z24, Z27, acc

// func sgemm8NNAVX512(a, b *float32, ldb int, c *float32, ldc, k, n int)
//
// C = A·B for the 8 rows of C (8×n, rows ldc apart), A packed k×8 (its
// column kk at a[8·kk:]), B k×n (rows ldb apart); k ≥ 1. Blocks of 48
// columns keep 24 accumulators, the last columns go 16 at a time under a
// mask.
TEXT ·sgemm8NNAVX512(SB), NOSPLIT, $0-56
	MOVQ a+0(FP), R9
	MOVQ b+8(FP), R10
	MOVQ ldb+16(FP), R11
	SHLQ $2, R11
	MOVQ c+24(FP), R12
	MOVQ ldc+32(FP), R13
	SHLQ $2, R13
	MOVQ k+40(FP), R14
	MOVQ n+48(FP), R15

	CMPQ R15, $48
	JLT  narrow

wide:
	ZERO24
	MOVQ   R9, AX
	MOVQ   R10, BX
	MOVQ   R14, CX

wideK:
	VMOVUPS (BX), Z24
	VMOVUPS 64(BX), Z25
	VMOVUPS 128(BX), Z26
	ROW48(0, Z0, Z1, Z2)
	ROW48(4, Z3, Z4, Z5)
	ROW48(8, Z6, Z7, Z8)
	ROW48(12, Z9, Z10, Z11)
	ROW48(16, Z12, Z13, Z14)
	ROW48(20, Z15, Z16, Z17)
	ROW48(24, Z18, Z19, Z20)
	ROW48(28, Z21, Z22, Z23)
	ADDQ    $32, AX
	ADDQ    R11, BX
	DECQ    CX
	JNZ     wideK

	MOVQ R12, DI
	STORE48(Z0, Z1, Z2)
	STORE48(Z3, Z4, Z5)
	STORE48(Z6, Z7, Z8)
	STORE48(Z9, Z10, Z11)
	STORE48(Z12, Z13, Z14)
	STORE48(Z15, Z16, Z17)
	STORE48(Z18, Z19, Z20)
	STORE48(Z21, Z22, Z23)
	ADDQ $192, R10
	ADDQ $192, R12
	SUBQ $48, R15
	CMPQ R15, $48
	JGE  wide

narrow:
	TESTQ R15, R15
	JLE   done
	MOVL  $0xffff, DX
	CMPQ  R15, $16
	JGE   masked
	MOVQ  R15, CX
	MOVL  $1, DX
	SHLL  CX, DX
	DECL  DX

masked:
	KMOVW  DX, K1
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	MOVQ   R9, AX
	MOVQ   R10, BX
	MOVQ   R14, CX

narrowK:
	VMOVUPS.Z (BX), K1, Z24
	ROW16(0, Z0)
	ROW16(4, Z1)
	ROW16(8, Z2)
	ROW16(12, Z3)
	ROW16(16, Z4)
	ROW16(20, Z5)
	ROW16(24, Z6)
	ROW16(28, Z7)
	ADDQ      $32, AX
	ADDQ      R11, BX
	DECQ      CX
	JNZ       narrowK

	MOVQ R12, DI
	STORE16(Z0)
	STORE16(Z1)
	STORE16(Z2)
	STORE16(Z3)
	STORE16(Z4)
	STORE16(Z5)
	STORE16(Z6)
	STORE16(Z7)
	ADDQ    $64, R10
	ADDQ    $64, R12
	SUBQ    $16, R15
	JG      narrow

done:
	VZEROUPPER
	RET

// NTB multiplies the three rows of A in Z24-Z26 by the row of B at addr
// (16 floats, loaded under mask into tmp) into the accumulators c0-c2.
#define NTB(addr, mask, tmp, c0, c1, c2) \
	VMOVUPS.Z   addr, mask, tmp; \
	VFMADD231PS Z24, tmp, c0; \
	VFMADD231PS Z25, tmp, c1; \
	VFMADD231PS Z26, tmp, c2

// NT8 is NTB for the eight rows of B (DX and R11 the bases of rows 0-3
// and 4-7, R9 = ldb·4, R10 = 3·ldb·4) into the accumulators Z0-Z23
// (Z(8i+j) for row i of A and row j of B), alternating Z27 and Z28.
#define NT8(mask) \
	NTB((DX), mask, Z27, Z0, Z8, Z16); \
	NTB((DX)(R9*1), mask, Z28, Z1, Z9, Z17); \
	NTB((DX)(R9*2), mask, Z27, Z2, Z10, Z18); \
	NTB((DX)(R10*1), mask, Z28, Z3, Z11, Z19); \
	NTB((R11), mask, Z27, Z4, Z12, Z20); \
	NTB((R11)(R9*1), mask, Z28, Z5, Z13, Z21); \
	NTB((R11)(R9*2), mask, Z27, Z6, Z14, Z22); \
	NTB((R11)(R10*1), mask, Z28, Z7, Z15, Z23)

// The lanes of REDUCE8's sums before its last permutation: accumulator j
// at lane 4·(j mod 4) + j/4.
DATA reduceOrder<>+0(SB)/4, $0
DATA reduceOrder<>+4(SB)/4, $4
DATA reduceOrder<>+8(SB)/4, $8
DATA reduceOrder<>+12(SB)/4, $12
DATA reduceOrder<>+16(SB)/4, $1
DATA reduceOrder<>+20(SB)/4, $5
DATA reduceOrder<>+24(SB)/4, $9
DATA reduceOrder<>+28(SB)/4, $13
DATA reduceOrder<>+32(SB)/8, $0
DATA reduceOrder<>+40(SB)/8, $0
DATA reduceOrder<>+48(SB)/8, $0
DATA reduceOrder<>+56(SB)/8, $0
GLOBL reduceOrder<>(SB), RODATA|NOPTR, $64

// REDUCE8 adds up the 16 lanes of each of the eight accumulators z0-z7 of
// one row of A (y0 the low half of z0) and adds the eight sums to the
// row of C at addr. The accumulators are folded in pairs, halves onto
// halves, until each 128-bit quarter holds two sums; Z29 holds
// reduceOrder. It uses Z27 and Z28 and overwrites the accumulators.
#define REDUCE8(z0, z1, z2, z3, z4, z5, z6, z7, y0, addr) \
	VSHUFF32X4 $0x44, z1, z0, Z27; VSHUFF32X4 $0xEE, z1, z0, Z28; VADDPS Z28, Z27, z0; \
	VSHUFF32X4 $0x44, z3, z2, Z27; VSHUFF32X4 $0xEE, z3, z2, Z28; VADDPS Z28, Z27, z2; \
	VSHUFF32X4 $0x44, z5, z4, Z27; VSHUFF32X4 $0xEE, z5, z4, Z28; VADDPS Z28, Z27, z4; \
	VSHUFF32X4 $0x44, z7, z6, Z27; VSHUFF32X4 $0xEE, z7, z6, Z28; VADDPS Z28, Z27, z6; \
	VSHUFF32X4 $0x88, z2, z0, Z27; VSHUFF32X4 $0xDD, z2, z0, Z28; VADDPS Z28, Z27, z0; \
	VSHUFF32X4 $0x88, z6, z4, Z27; VSHUFF32X4 $0xDD, z6, z4, Z28; VADDPS Z28, Z27, z4; \
	VSHUFPS    $0x88, z4, z0, Z27; VSHUFPS $0xDD, z4, z0, Z28; VADDPS Z28, Z27, z0; \
	VSHUFPS    $0x88, z0, z0, Z27; VSHUFPS $0xDD, z0, z0, Z28; VADDPS Z28, Z27, z0; \
	VPERMPS    z0, Z29, z0; \
	VADDPS     addr, y0, y0; \
	VMOVUPS    y0, addr

// func sgemm3x8NTAVX512(a *float32, lda int, b *float32, ldb int, c *float32, ldc, k int)
//
// C += A·Bᵀ for C 3×8 (rows ldc apart), A 3×k and B 8×k (rows lda and ldb
// apart): each entry a dot product over k, taken 16 lanes at a time (the
// last under a mask), the lanes then added up; k ≥ 1.
TEXT ·sgemm3x8NTAVX512(SB), NOSPLIT, $0-56
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), R8
	SHLQ $2, R8
	MOVQ b+16(FP), DX
	MOVQ ldb+24(FP), R9
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R10
	LEAQ (DX)(R9*4), R11
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), R13
	SHLQ $2, R13
	MOVQ k+48(FP), CX

	ZERO24
	MOVL   $0xffff, AX
	KMOVW  AX, K1

dotK:
	CMPQ CX, $16
	JGE  dotFull
	TESTQ CX, CX
	JLE  dotDone
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	MOVQ $16, CX

dotFull:
	VMOVUPS.Z (SI), K1, Z24
	VMOVUPS.Z (SI)(R8*1), K1, Z25
	VMOVUPS.Z (SI)(R8*2), K1, Z26
	NT8(K1)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, R11
	SUBQ $16, CX
	JMP  dotK

dotDone:
	VMOVDQU32 reduceOrder<>(SB), Z29
	REDUCE8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Y0, (DI))
	ADDQ      R13, DI
	REDUCE8(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, Y8, (DI))
	ADDQ      R13, DI
	REDUCE8(Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Y16, (DI))
	VZEROUPPER
	RET

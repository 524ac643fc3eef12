//go:build !purego

#include "textflag.h"

// ReLUPool's rows (relupool.go) with AVX2, eight windows at a time: the
// same float32 sums (bias) or float64 affine maps without fused
// multiply-adds (batch normalisation), the rectified values compared as
// integers, the first largest chosen. A row with a NaN among the windows'
// first elements is left to the Go loop, which alone knows NaN windows'
// rule, by the result nan.

// The routes, 1 to 4 (NoRoute), and +Inf's bits.
DATA routes<>+0(SB)/4, $1
DATA routes<>+4(SB)/4, $2
DATA routes<>+8(SB)/4, $3
DATA routes<>+12(SB)/4, $4
DATA routes<>+16(SB)/4, $0x7f800000 // +Inf's bits
GLOBL routes<>(SB), RODATA|NOPTR, $20

// POOL8 pools the windows whose top rows are Y0 (elements 0-7) and Y1
// (8-15) and bottom rows Y2 and Y3, into out (DX) and route (R8); it
// ORs into Y11 the NaN lanes of the windows' first elements. It needs
// Y13 = 0 and Y14 = +Inf's bits in every lane, and uses Y0-Y10.
#define POOL8 \
	VSHUFPS $0x88, Y1, Y0, Y4; VPERMQ $0xD8, Y4, Y4; \
	VSHUFPS $0xDD, Y1, Y0, Y5; VPERMQ $0xD8, Y5, Y5; \
	VSHUFPS $0x88, Y3, Y2, Y6; VPERMQ $0xD8, Y6, Y6; \
	VSHUFPS $0xDD, Y3, Y2, Y7; VPERMQ $0xD8, Y7, Y7; \
	VCMPPS $3, Y4, Y4, Y8; VORPS Y8, Y11, Y11; \
	VPCMPGTD Y14, Y4, Y8; VPANDN Y4, Y8, Y4; VPMAXSD Y13, Y4, Y4; \
	VPCMPGTD Y14, Y5, Y8; VPANDN Y5, Y8, Y5; VPMAXSD Y13, Y5, Y5; \
	VPCMPGTD Y14, Y6, Y8; VPANDN Y6, Y8, Y6; VPMAXSD Y13, Y6, Y6; \
	VPCMPGTD Y14, Y7, Y8; VPANDN Y7, Y8, Y7; VPMAXSD Y13, Y7, Y7; \
	VPMAXSD Y5, Y4, Y8; VPMAXSD Y7, Y6, Y9; VPMAXSD Y9, Y8, Y8; \
	VMOVUPS Y8, (DX); \
	VPBROADCASTD routes<>+8(SB), Y9; \
	VPBROADCASTD routes<>+4(SB), Y0; VPCMPEQD Y8, Y6, Y10; VPBLENDVB Y10, Y0, Y9, Y9; \
	VPBROADCASTD routes<>+0(SB), Y0; VPCMPEQD Y8, Y5, Y10; VPBLENDVB Y10, Y0, Y9, Y9; \
	VPCMPEQD Y8, Y4, Y10; VPBLENDVB Y10, Y13, Y9, Y9; \
	VPBROADCASTD routes<>+12(SB), Y0; VPCMPEQD Y13, Y8, Y10; VPBLENDVB Y10, Y0, Y9, Y9; \
	VEXTRACTI128 $1, Y9, X10; VPACKUSDW X10, X9, X9; VPACKUSWB X9, X9, X9; \
	MOVQ X9, (R8)

// NANRET returns, as the result at off(FP), whether POOL8 saw a NaN
// (Y11).
#define NANRET(off) \
	VMOVMSKPS Y11, AX; \
	TESTL     AX, AX; \
	SETNE     off(FP); \
	VZEROUPPER; \
	RET

// NEXT8 moves the pointers past eight windows and counts them off CX,
// setting the flags for the loop's JNZ.
#define NEXT8 \
	ADDQ $64, SI; \
	ADDQ $64, DI; \
	ADDQ $32, DX; \
	ADDQ $8, R8; \
	DECQ CX

// SETUP loads the pointers and the constants of POOL8, and CX = n/8.
#define SETUP \
	MOVQ out+0(FP), DX; \
	MOVQ route+8(FP), R8; \
	MOVQ top+16(FP), SI; \
	MOVQ bottom+24(FP), DI; \
	MOVQ n+32(FP), CX; \
	VPXOR Y13, Y13, Y13; \
	VPXOR Y11, Y11, Y11; \
	VPBROADCASTD routes<>+16(SB), Y14; \
	SHRQ $3, CX

// func reluPoolBiasAVX2(out *float32, route *uint8, top, bottom *float32, n int, b float32) (nan bool)
TEXT ·reluPoolBiasAVX2(SB), NOSPLIT, $0-49
	SETUP
	VBROADCASTSS b+40(FP), Y15
	JZ           biasDone

biasLoop:
	VADDPS (SI), Y15, Y0
	VADDPS 32(SI), Y15, Y1
	VADDPS (DI), Y15, Y2
	VADDPS 32(DI), Y15, Y3
	POOL8
	NEXT8
	JNZ    biasLoop

biasDone:
	NANRET(nan+48)

// AFFINE8 sets dst to the eight float32 T(x·scale + shift) of the eight
// x at off(base), computed in float64 (Y15 = scale, Y12 = shift), using
// Y4.
#define AFFINE8(off, base, dst, half) \
	VCVTPS2PD  off(base), dst; \
	VCVTPS2PD  off+16(base), Y4; \
	VMULPD     Y15, dst, dst; \
	VADDPD     Y12, dst, dst; \
	VMULPD     Y15, Y4, Y4; \
	VADDPD     Y12, Y4, Y4; \
	VCVTPD2PSY dst, half; \
	VCVTPD2PSY Y4, X4; \
	VINSERTF128 $1, X4, dst, dst

// func reluPoolAffineAVX2(out *float32, route *uint8, top, bottom *float32, n int, scale, shift float64) (nan bool)
TEXT ·reluPoolAffineAVX2(SB), NOSPLIT, $0-57
	SETUP
	VBROADCASTSD scale+40(FP), Y15
	VBROADCASTSD shift+48(FP), Y12
	JZ           affineDone

affineLoop:
	AFFINE8(0, SI, Y0, X0)
	AFFINE8(32, SI, Y1, X1)
	AFFINE8(0, DI, Y2, X2)
	AFFINE8(32, DI, Y3, X3)
	POOL8
	NEXT8
	JNZ  affineLoop

affineDone:
	NANRET(nan+56)

// AFFINE8Z is AFFINE8 on AVX-512: the eight conversions, products and
// sums in one ZMM register each (Z15 = scale, Z12 = shift), using Z4.
#define AFFINE8Z(off, base, dst) \
	VCVTPS2PD off(base), Z4; \
	VMULPD    Z15, Z4, Z4; \
	VADDPD    Z12, Z4, Z4; \
	VCVTPD2PS Z4, dst

// func reluPoolAffineAVX512(out *float32, route *uint8, top, bottom *float32, n int, scale, shift float64) (nan bool)
//
// reluPoolAffineAVX2 with its affine maps on AVX-512.
TEXT ·reluPoolAffineAVX512(SB), NOSPLIT, $0-57
	SETUP
	VBROADCASTSD scale+40(FP), Z15
	VBROADCASTSD shift+48(FP), Z12
	JZ           affineZDone

affineZLoop:
	AFFINE8Z(0, SI, Y0)
	AFFINE8Z(32, SI, Y1)
	AFFINE8Z(0, DI, Y2)
	AFFINE8Z(32, DI, Y3)
	POOL8
	NEXT8
	JNZ  affineZLoop

affineZDone:
	NANRET(nan+56)

// func routeAVX2(top, dy *float32, route *uint8, n, w int)
//
// ReLUPoolBackward's routeRow for n windows (a multiple of 8), each
// window's four elements written: dy+0 where its route points, 0 at the
// other three (and at all four without a route). top is the window row's
// first line; its second is w elements on.
TEXT ·routeAVX2(SB), NOSPLIT, $0-40
	MOVQ  top+0(FP), DX
	MOVQ  dy+8(FP), SI
	MOVQ  route+16(FP), R8
	MOVQ  n+24(FP), CX
	MOVQ  w+32(FP), DI
	SHLQ  $2, DI // the second line, in bytes
	VPXOR Y13, Y13, Y13
	VPBROADCASTD routes<>+0(SB), Y12 // 1
	VPBROADCASTD routes<>+4(SB), Y14 // 2
	VPBROADCASTD routes<>+8(SB), Y15 // 3
	SHRQ  $3, CX
	JZ    routeDone

routeLoop:
	VADDPS    (SI), Y13, Y0 // g + 0
	VPMOVZXBD (R8), Y1      // the routes
	VPCMPEQD  Y13, Y1, Y2
	VPAND     Y0, Y2, Y2    // the first elements
	VPCMPEQD  Y12, Y1, Y3
	VPAND     Y0, Y3, Y3    // the second
	VPCMPEQD  Y14, Y1, Y4
	VPAND     Y0, Y4, Y4    // the third (second line, first)
	VPCMPEQD  Y15, Y1, Y5
	VPAND     Y0, Y5, Y5    // the fourth
	VUNPCKLPS Y3, Y2, Y6
	VUNPCKHPS Y3, Y2, Y7
	VPERM2F128 $0x20, Y7, Y6, Y8
	VPERM2F128 $0x31, Y7, Y6, Y9
	VMOVUPS   Y8, (DX)
	VMOVUPS   Y9, 32(DX)
	VUNPCKLPS Y5, Y4, Y6
	VUNPCKHPS Y5, Y4, Y7
	VPERM2F128 $0x20, Y7, Y6, Y8
	VPERM2F128 $0x31, Y7, Y6, Y9
	VMOVUPS   Y8, (DX)(DI*1)
	VMOVUPS   Y9, 32(DX)(DI*1)
	ADDQ      $32, SI
	ADDQ      $8, R8
	ADDQ      $64, DX
	DECQ      CX
	JNZ       routeLoop

routeDone:
	VZEROUPPER
	RET

// func deinterleaveAVX2(even, odd, line *float32, n int)
//
// even[j] = line[2j], odd[j] = line[2j+1] for j < n, n a multiple of 8.
TEXT ·deinterleaveAVX2(SB), NOSPLIT, $0-32
	MOVQ even+0(FP), DX
	MOVQ odd+8(FP), DI
	MOVQ line+16(FP), SI
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   deDone

deLoop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VPERMQ  $0xD8, Y2, Y2
	VSHUFPS $0xDD, Y1, Y0, Y3
	VPERMQ  $0xD8, Y3, Y3
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, (DI)
	ADDQ    $64, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     deLoop

deDone:
	VZEROUPPER
	RET

//go:build !purego

#include "textflag.h"

// The float64 reductions of reduce.go on float32 data, with AVX: 16
// lanes in four YMM registers, lane k taking the elements i ≡ k (mod 16),
// four chains of additions in flight, each operation the one the Go loop
// performs on that lane, in the same order (no fused multiply-add), so
// that the results are the Go loop's, bit for bit. n is a multiple of 16;
// acc holds the lanes in and out.

// LOAD16 loads 16 lanes from off(AX) into four registers; STORE16 stores
// them back.
#define LOAD16(off, a, b, c, d) \
	VMOVUPD off+0(AX), a; \
	VMOVUPD off+32(AX), b; \
	VMOVUPD off+64(AX), c; \
	VMOVUPD off+96(AX), d

#define STORE16(off, a, b, c, d) \
	VMOVUPD a, off+0(AX); \
	VMOVUPD b, off+32(AX); \
	VMOVUPD c, off+64(AX); \
	VMOVUPD d, off+96(AX)

// func sumLanesAVX(x *float32, n int, acc *[16]float64)
TEXT ·sumLanesAVX(SB), NOSPLIT, $0-24
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	MOVQ    acc+16(FP), AX
	LOAD16(0, Y0, Y1, Y2, Y3)
	SHRQ    $4, CX
	JZ      sumDone

sumLoop:
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VADDPD    Y6, Y2, Y2
	VADDPD    Y7, Y3, Y3
	ADDQ      $64, SI
	DECQ      CX
	JNZ       sumLoop

sumDone:
	STORE16(0, Y0, Y1, Y2, Y3)
	VZEROUPPER
	RET

// SQDEV adds (x − mean)², x the four floats at off(SI) and mean in Y8, to
// the lanes in acc, using tmp.
#define SQDEV(off, tmp, acc) \
	VCVTPS2PD off(SI), tmp; \
	VSUBPD    Y8, tmp, tmp; \
	VMULPD    tmp, tmp, tmp; \
	VADDPD    tmp, acc, acc

// func sumSquaredDevLanesAVX(x *float32, n int, mean float64, acc *[16]float64)
TEXT ·sumSquaredDevLanesAVX(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSD mean+16(FP), Y8
	MOVQ         acc+24(FP), AX
	LOAD16(0, Y0, Y1, Y2, Y3)
	SHRQ         $4, CX
	JZ           sqDone

sqLoop:
	SQDEV(0, Y4, Y0)
	SQDEV(16, Y5, Y1)
	SQDEV(32, Y6, Y2)
	SQDEV(48, Y7, Y3)
	ADDQ $64, SI
	DECQ CX
	JNZ  sqLoop

sqDone:
	STORE16(0, Y0, Y1, Y2, Y3)
	VZEROUPPER
	RET

// GRADDEV adds g, the four floats of dy at off(SI), to the lanes in a and
// g·(x − mean), x at off(DI) and mean in Y15, to those in b, using g and
// t.
#define GRADDEV(off, g, t, a, b) \
	VCVTPS2PD off(SI), g; \
	VCVTPS2PD off(DI), t; \
	VADDPD    g, a, a; \
	VSUBPD    Y15, t, t; \
	VMULPD    t, g, t; \
	VADDPD    t, b, b

// func sumGradDevLanesAVX(dy, x *float32, n int, mean float64, acc *[32]float64)
TEXT ·sumGradDevLanesAVX(SB), NOSPLIT, $0-40
	MOVQ         dy+0(FP), SI
	MOVQ         x+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSD mean+24(FP), Y15
	MOVQ         acc+32(FP), AX
	LOAD16(0, Y0, Y1, Y2, Y3)   // Σdy lanes
	LOAD16(128, Y4, Y5, Y6, Y7) // Σdy·(x − mean) lanes
	SHRQ         $4, CX
	JZ           gdDone

gdLoop:
	GRADDEV(0, Y8, Y9, Y0, Y4)
	GRADDEV(16, Y10, Y11, Y1, Y5)
	GRADDEV(32, Y12, Y13, Y2, Y6)
	GRADDEV(48, Y8, Y9, Y3, Y7)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  gdLoop

gdDone:
	STORE16(0, Y0, Y1, Y2, Y3)
	STORE16(128, Y4, Y5, Y6, Y7)
	VZEROUPPER
	RET

// func bnGradXAVX(out, x, dy *float32, n int, c *[4]float64)
//
// out[i] = float32(k·((dy[i] − a) − (x[i] − mean)·b)), c = {k, a, b, mean}.
TEXT ·bnGradXAVX(SB), NOSPLIT, $0-40
	MOVQ         out+0(FP), DX
	MOVQ         x+8(FP), DI
	MOVQ         dy+16(FP), SI
	MOVQ         n+24(FP), CX
	MOVQ         c+32(FP), AX
	VBROADCASTSD (AX), Y5   // k
	VBROADCASTSD 8(AX), Y6  // a
	VBROADCASTSD 16(AX), Y7 // b
	VBROADCASTSD 24(AX), Y8 // mean
	SHRQ         $2, CX
	JZ           gxDone

gxLoop:
	VCVTPS2PD  (SI), Y3 // dy
	VCVTPS2PD  (DI), Y4 // x
	VSUBPD     Y6, Y3, Y3 // dy − a
	VSUBPD     Y8, Y4, Y4 // x − mean
	VMULPD     Y7, Y4, Y4 // (x − mean)·b
	VSUBPD     Y4, Y3, Y3
	VMULPD     Y3, Y5, Y3 // k·(…)
	VCVTPD2PSY Y3, X3
	VMOVUPS    X3, (DX)
	ADDQ       $16, SI
	ADDQ       $16, DI
	ADDQ       $16, DX
	DECQ       CX
	JNZ        gxLoop

gxDone:
	VZEROUPPER
	RET

// func addAVX(dst, src *float32, n int)
//
// dst[i] += src[i] for i < n, n a multiple of 8: float32 additions, each
// the one the Go loop makes.
TEXT ·addAVX(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   addDone

addLoop:
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     addLoop

addDone:
	VZEROUPPER
	RET

// The same kernels on AVX-512: the 16 lanes in two ZMM registers, lanes
// 0-7 and 8-15, each operation still the Go loop's on each lane, in the
// same order; half the instructions of the AVX kernels.

// LOADZ loads 16 lanes from off(AX) into two registers; STOREZ stores
// them back.
#define LOADZ(off, a, b) \
	VMOVUPD off+0(AX), a; \
	VMOVUPD off+64(AX), b

#define STOREZ(off, a, b) \
	VMOVUPD a, off+0(AX); \
	VMOVUPD b, off+64(AX)

// func sumLanesAVX512(x *float32, n int, acc *[16]float64)
TEXT ·sumLanesAVX512(SB), NOSPLIT, $0-24
	MOVQ      x+0(FP), SI
	MOVQ      n+8(FP), CX
	MOVQ      acc+16(FP), AX
	LOADZ(0, Z0, Z1)
	SHRQ      $4, CX
	JZ        sumzDone

sumzLoop:
	VCVTPS2PD (SI), Z4
	VCVTPS2PD 32(SI), Z5
	VADDPD    Z4, Z0, Z0
	VADDPD    Z5, Z1, Z1
	ADDQ      $64, SI
	DECQ      CX
	JNZ       sumzLoop

sumzDone:
	STOREZ(0, Z0, Z1)
	VZEROUPPER
	RET

// SQDEVZ is SQDEV on eight lanes, mean in Z8.
#define SQDEVZ(off, tmp, acc) \
	VCVTPS2PD off(SI), tmp; \
	VSUBPD    Z8, tmp, tmp; \
	VMULPD    tmp, tmp, tmp; \
	VADDPD    tmp, acc, acc

// func sumSquaredDevLanesAVX512(x *float32, n int, mean float64, acc *[16]float64)
TEXT ·sumSquaredDevLanesAVX512(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSD mean+16(FP), Z8
	MOVQ         acc+24(FP), AX
	LOADZ(0, Z0, Z1)
	SHRQ         $4, CX
	JZ           sqzDone

sqzLoop:
	SQDEVZ(0, Z4, Z0)
	SQDEVZ(32, Z5, Z1)
	ADDQ $64, SI
	DECQ CX
	JNZ  sqzLoop

sqzDone:
	STOREZ(0, Z0, Z1)
	VZEROUPPER
	RET

// GRADDEVZ is GRADDEV on eight lanes, mean in Z15.
#define GRADDEVZ(off, g, t, a, b) \
	VCVTPS2PD off(SI), g; \
	VCVTPS2PD off(DI), t; \
	VADDPD    g, a, a; \
	VSUBPD    Z15, t, t; \
	VMULPD    t, g, t; \
	VADDPD    t, b, b

// func sumGradDevLanesAVX512(dy, x *float32, n int, mean float64, acc *[32]float64)
TEXT ·sumGradDevLanesAVX512(SB), NOSPLIT, $0-40
	MOVQ         dy+0(FP), SI
	MOVQ         x+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSD mean+24(FP), Z15
	MOVQ         acc+32(FP), AX
	LOADZ(0, Z0, Z1)   // Σdy lanes
	LOADZ(128, Z2, Z3) // Σdy·(x − mean) lanes
	SHRQ         $4, CX
	JZ           gdzDone

gdzLoop:
	GRADDEVZ(0, Z4, Z5, Z0, Z2)
	GRADDEVZ(32, Z6, Z7, Z1, Z3)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  gdzLoop

gdzDone:
	STOREZ(0, Z0, Z1)
	STOREZ(128, Z2, Z3)
	VZEROUPPER
	RET

// GRADXZ writes eight floats of bnGradXAVX's out at off(DX), from dy at
// off(SI) and x at off(DI), using d (whose lower half is y) and t; k, a,
// b and mean in Z5-Z8.
#define GRADXZ(off, d, y, t) \
	VCVTPS2PD off(SI), d; \
	VCVTPS2PD off(DI), t; \
	VSUBPD    Z6, d, d; \
	VSUBPD    Z8, t, t; \
	VMULPD    Z7, t, t; \
	VSUBPD    t, d, d; \
	VMULPD    d, Z5, d; \
	VCVTPD2PS d, y; \
	VMOVUPS   y, off(DX)

// func bnGradXAVX512(out, x, dy *float32, n int, c *[4]float64)
//
// bnGradXAVX on 16 floats at a time.
TEXT ·bnGradXAVX512(SB), NOSPLIT, $0-40
	MOVQ         out+0(FP), DX
	MOVQ         x+8(FP), DI
	MOVQ         dy+16(FP), SI
	MOVQ         n+24(FP), CX
	MOVQ         c+32(FP), AX
	VBROADCASTSD (AX), Z5   // k
	VBROADCASTSD 8(AX), Z6  // a
	VBROADCASTSD 16(AX), Z7 // b
	VBROADCASTSD 24(AX), Z8 // mean
	SHRQ         $4, CX
	JZ           gxzDone

gxzLoop:
	GRADXZ(0, Z0, Y0, Z1)
	GRADXZ(32, Z2, Y2, Z3)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, DX
	DECQ CX
	JNZ  gxzLoop

gxzDone:
	VZEROUPPER
	RET

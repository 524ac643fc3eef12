//go:build !purego

#include "textflag.h"

// The four-lane float64 reductions of reduce.go and batch normalisation's
// backward map, on float32 data, with AVX: one YMM register holds the four
// lanes, lane k taking the elements i ≡ k (mod 4), each operation the
// one the Go loop performs on that lane, in the same order (no fused
// multiply-add), so that the results are the Go loop's, bit for bit. n is
// a multiple of 4; acc holds the lanes in and out.

// func sumLanesAVX(x *float32, n int, acc *[4]float64)
TEXT ·sumLanesAVX(SB), NOSPLIT, $0-24
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	MOVQ    acc+16(FP), AX
	VMOVUPD (AX), Y0
	SHRQ    $2, CX
	JZ      sumDone

sumLoop:
	VCVTPS2PD (SI), Y1
	VADDPD    Y1, Y0, Y0
	ADDQ      $16, SI
	DECQ      CX
	JNZ       sumLoop

sumDone:
	VMOVUPD Y0, (AX)
	VZEROUPPER
	RET

// func sumSquaredDevLanesAVX(x *float32, n int, mean float64, acc *[4]float64)
TEXT ·sumSquaredDevLanesAVX(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSD mean+16(FP), Y2
	MOVQ         acc+24(FP), AX
	VMOVUPD      (AX), Y0
	SHRQ         $2, CX
	JZ           sqDone

sqLoop:
	VCVTPS2PD (SI), Y1
	VSUBPD    Y2, Y1, Y1 // d = x − mean
	VMULPD    Y1, Y1, Y1 // d·d
	VADDPD    Y1, Y0, Y0
	ADDQ      $16, SI
	DECQ      CX
	JNZ       sqLoop

sqDone:
	VMOVUPD Y0, (AX)
	VZEROUPPER
	RET

// func sumGradDevLanesAVX(dy, x *float32, n int, mean float64, acc *[8]float64)
TEXT ·sumGradDevLanesAVX(SB), NOSPLIT, $0-40
	MOVQ         dy+0(FP), SI
	MOVQ         x+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSD mean+24(FP), Y2
	MOVQ         acc+32(FP), AX
	VMOVUPD      (AX), Y0   // Σdy lanes
	VMOVUPD      32(AX), Y1 // Σdy·(x − mean) lanes
	SHRQ         $2, CX
	JZ           gdDone

gdLoop:
	VCVTPS2PD (SI), Y3 // g
	VCVTPS2PD (DI), Y4 // x
	VADDPD    Y3, Y0, Y0
	VSUBPD    Y2, Y4, Y4 // x − mean
	VMULPD    Y4, Y3, Y4 // g·(x − mean)
	VADDPD    Y4, Y1, Y1
	ADDQ      $16, SI
	ADDQ      $16, DI
	DECQ      CX
	JNZ       gdLoop

gdDone:
	VMOVUPD Y0, (AX)
	VMOVUPD Y1, 32(AX)
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

// AVX-512 kernels of the vector extractor (scan_vector.go): each turns a
// 64-byte window into masks, one bit per byte. The constant vectors are
// the Go tables of scan_vector.go (vconst, codeTable, codes, tens,
// hundreds, prev1, prev2, two, c55), each 64 copies of a byte or 64
// indices, used as memory operands. Every function ends with VZEROUPPER:
// the Go code around them uses SSE instructions, which pay for dirty upper
// halves. Z15 is not used (ABIInternal keeps zero in X15).

#include "go_asm.h"
#include "textflag.h"

// STOPS sets K1 to the bytes of Z0 that end a URL: below 0x21 (vconst[13]),
// or one of "'<>`\^{}| and DEL (the 11 vectors of stopBytes). It uses K2.
#define STOPS \
	VPCMPUB $1, ·vconst+832(SB), Z0, K1 \
	VPCMPEQB ·stopBytes+0(SB), Z0, K2 \
	KORQ K2, K1, K1 \
	VPCMPEQB ·stopBytes+64(SB), Z0, K2 \
	KORQ K2, K1, K1 \
	VPCMPEQB ·stopBytes+128(SB), Z0, K2 \
	KORQ K2, K1, K1 \
	VPCMPEQB ·stopBytes+192(SB), Z0, K2 \
	KORQ K2, K1, K1 \
	VPCMPEQB ·stopBytes+256(SB), Z0, K2 \
	KORQ K2, K1, K1 \
	VPCMPEQB ·stopBytes+320(SB), Z0, K2 \
	KORQ K2, K1, K1 \
	VPCMPEQB ·stopBytes+384(SB), Z0, K2 \
	KORQ K2, K1, K1 \
	VPCMPEQB ·stopBytes+448(SB), Z0, K2 \
	KORQ K2, K1, K1 \
	VPCMPEQB ·stopBytes+512(SB), Z0, K2 \
	KORQ K2, K1, K1 \
	VPCMPEQB ·stopBytes+576(SB), Z0, K2 \
	KORQ K2, K1, K1 \
	VPCMPEQB ·stopBytes+640(SB), Z0, K2 \
	KORQ K2, K1, K1

// func stopIndex(b []byte) int
TEXT ·stopIndex(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	ANDQ $~63, CX
	XORQ AX, AX
stoploop:
	CMPQ AX, CX
	JGE  stopnone
	VMOVDQU64 (SI)(AX*1), Z0
	STOPS
	KMOVQ K1, DX
	TESTQ DX, DX
	JNE  stopfound
	ADDQ $64, AX
	JMP  stoploop
stopfound:
	BSFQ DX, DX
	ADDQ DX, AX
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET
stopnone:
	MOVQ CX, ret+24(FP)
	VZEROUPPER
	RET

// func classifyWindow(w *[64]byte, m *masks)
TEXT ·classifyWindow(SB), NOSPLIT, $0-16
	CMPB ·useVBMI(SB), $0
	JEQ  ranges
	JMP  ·classifyTable(SB)
ranges:
	JMP  ·classifyRanges(SB)

// func classifyTable(w *[64]byte, m *masks)
TEXT ·classifyTable(SB), NOSPLIT, $0-16
	MOVQ w+0(FP), AX
	MOVQ m+8(FP), DI
	VMOVDQU64 (AX), Z0
	VPMINUB ·codes+640(SB), Z0, Z1 // the bytes above 127 look up entry 0 (128 mod 128)
	VMOVDQU64 ·codeTable+0(SB), Z2
	VPERMT2B ·codeTable+64(SB), Z1, Z2 // Z2: each byte's class code
	VPTESTMB Z2, Z2, K1
	VPCMPUB $1, ·codes+512(SB), Z2, K1, K1 // tok: codes 1 to 7
	KMOVQ K1, masks_tok(DI)
	VPCMPEQB ·codes+64(SB), Z2, K1 // codeDigit
	KMOVQ K1, masks_digit(DI)
	VPCMPEQB ·codes+128(SB), Z2, K1 // codeHex
	KMOVQ K1, masks_hex(DI)
	VPCMPEQB ·codes+192(SB), Z2, K1 // codeAlpha
	KMOVQ K1, masks_alpha(DI)
	VPCMPEQB ·codes+256(SB), Z2, K1 // codeDot
	KMOVQ K1, masks_dot(DI)
	VPCMPEQB ·codes+320(SB), Z2, K1 // codeColon
	KMOVQ K1, masks_colon(DI)
	VPCMPEQB ·codes+384(SB), Z2, K1 // codeAt
	KMOVQ K1, masks_at(DI)
	VPCMPEQB ·codes+448(SB), Z2, K1 // codeOther
	KMOVQ K1, masks_other(DI)
	VPCMPEQB ·codes+512(SB), Z2, K1 // codeStop
	VPTESTNMB Z0, Z0, K2 // NUL
	KORQ K2, K1, K1
	KMOVQ K1, masks_stop(DI)
	VPCMPEQB ·codes+576(SB), Z2, K1 // codeSlash
	KMOVQ K1, masks_slash(DI)
	VZEROUPPER
	RET

// func classifyRanges(w *[64]byte, m *masks)
TEXT ·classifyRanges(SB), NOSPLIT, $0-16
	MOVQ w+0(FP), AX
	MOVQ m+8(FP), DI
	VMOVDQU64 (AX), Z0
	VPORQ ·vconst+0(SB), Z0, Z1 // letters folded to lower case
	VPSUBB ·vconst+64(SB), Z0, Z2 // - '0'
	VPCMPUB $1, ·vconst+128(SB), Z2, K1 // < 10
	KMOVQ K1, masks_digit(DI)
	KMOVQ K1, K3 // tok: the OR of the token classes
	VPSUBB ·vconst+192(SB), Z1, Z2 // - 'a'
	VPCMPUB $1, ·vconst+256(SB), Z2, K1 // < 6
	KMOVQ K1, masks_hex(DI)
	KORQ K1, K3, K3
	VPSUBB ·vconst+320(SB), Z1, Z2 // - 'g'
	VPCMPUB $1, ·vconst+384(SB), Z2, K1 // < 20
	KMOVQ K1, masks_alpha(DI)
	KORQ K1, K3, K3
	VPCMPEQB ·vconst+448(SB), Z0, K1 // '.'
	KMOVQ K1, masks_dot(DI)
	KORQ K1, K3, K3
	VPCMPEQB ·vconst+512(SB), Z0, K1 // ':'
	KMOVQ K1, masks_colon(DI)
	KORQ K1, K3, K3
	VPCMPEQB ·vconst+576(SB), Z0, K1 // '@'
	KMOVQ K1, masks_at(DI)
	KORQ K1, K3, K3
	VPCMPEQB ·vconst+640(SB), Z0, K1 // '_'
	VPCMPEQB ·vconst+704(SB), Z0, K2 // '-'
	KORQ K2, K1, K1
	VPCMPEQB ·vconst+768(SB), Z0, K2 // '+'
	KORQ K2, K1, K1
	KMOVQ K1, masks_other(DI)
	KORQ K1, K3, K3
	KMOVQ K3, masks_tok(DI)
	VPCMPEQB ·vconst+896(SB), Z0, K1 // '/'
	KMOVQ K1, masks_slash(DI)
	STOPS
	KMOVQ K1, masks_stop(DI)
	VZEROUPPER
	RET

// func octetRuns(w *[64]byte, digit uint64, runVal *[64]byte) (over, zeros uint64)
TEXT ·octetRuns(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), AX
	MOVQ digit+8(FP), BX
	MOVQ runVal+16(FP), DI
	VMOVDQU64 (AX), Z0
	KMOVQ BX, K1
	MOVQ BX, CX
	SHLQ $1, CX
	ANDQ BX, CX // in2: the digit before is in the run
	KMOVQ CX, K2
	MOVQ BX, DX
	SHLQ $2, DX
	ANDQ CX, DX // in3: the two digits before are
	KMOVQ DX, K3
	MOVQ BX, CX
	SHRQ $1, CX
	NOTQ CX
	ANDQ BX, CX // ends: the runs' last digits
	KMOVQ CX, K4
	VMOVDQU64 ·vconst+64(SB), Z9 // '0'
	VPCMPEQB Z9, Z0, K5
	KMOVQ K5, zeros+32(FP)
	VPSUBB.Z Z9, Z0, K1, Z1 // d: each digit's value, 0 elsewhere
	VPERMB ·tens(SB), Z1, Z2 // 10*d
	VMOVDQU64 ·prev1(SB), Z3
	VPERMB.Z Z2, Z3, K2, Z4 // 10*d[k-1] within a run
	VPADDB Z4, Z1, Z5 // lo
	VMOVDQU64 ·prev2(SB), Z3
	VPERMB.Z Z1, Z3, K3, Z6 // hi = d[k-2] within a run
	VPERMB ·hundreds(SB), Z6, Z7
	VPADDB Z7, Z5, Z7 // val = 100*hi + lo (mod 256)
	VPCOMPRESSB.Z Z7, K4, Z8
	VMOVDQU64 Z8, (DI)
	VPCMPUB $6, ·two(SB), Z6, K6 // hi > 2
	VPCMPEQB ·two(SB), Z6, K7 // hi == 2
	VPCMPUB $6, ·c55(SB), Z5, K7, K7 // and lo > 55
	KORQ K7, K6, K6
	KMOVQ K6, over+24(FP)
	VZEROUPPER
	RET

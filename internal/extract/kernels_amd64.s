// AVX-512 kernels of the vector extractor (scan_vector.go): each turns a
// 64-byte window into masks, one bit per byte. The constant vectors are
// the Go tables of scan_vector.go (vconst, stopNibbles, codeTable, codes,
// tens, hundreds, prev1, prev2, two, c55): 64-byte vectors of one byte
// repeated, of indices or of look-up tables, mostly used as memory
// operands. Every function ends with VZEROUPPER:
// the Go code around them uses SSE instructions, which pay for dirty upper
// halves. Z15 is not used (ABIInternal keeps zero in X15).

#include "go_asm.h"
#include "textflag.h"

// STOPTABLES loads what STOPS needs: the low-nibble mask (vconst[15]) in
// Z10, stopNibbles' tables in Z11 and Z12.
#define STOPTABLES \
	VMOVDQU64 ·vconst+960(SB), Z10 \
	VMOVDQU64 ·stopNibbles+0(SB), Z11 \
	VMOVDQU64 ·stopNibbles+64(SB), Z12

// STOPS sets K1 to the bytes of Z0 that end a URL: each byte's nibbles
// look up its bits in stopNibbles' tables, and a stop has a bit in both.
// It uses Z4 to Z7.
#define STOPS \
	VPANDQ Z10, Z0, Z4 \
	VPSRLW $4, Z0, Z5 \
	VPANDQ Z10, Z5, Z5 \
	VPSHUFB Z4, Z11, Z6 \
	VPSHUFB Z5, Z12, Z7 \
	VPTESTMB Z7, Z6, K1

// func stopIndex(b []byte) int
TEXT ·stopIndex(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	ANDQ $~63, CX
	XORQ AX, AX
	STOPTABLES
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

// CLASS stores in m's field (at DI) the mask of the bytes whose class code
// (in Z2) is code.
#define CLASS(code, field) VPCMPEQB ·codes+code*64(SB), Z2, K1; KMOVQ K1, field(DI)

// func classifyTable(w *[64]byte, m *masks)
TEXT ·classifyTable(SB), NOSPLIT, $0-16
	MOVQ w+0(FP), AX
	MOVQ m+8(FP), DI
	VMOVDQU64 (AX), Z0
	VPMINUB ·codes+640(SB), Z0, Z1 // the bytes above 127 look up entry 0 (128 mod 128)
	VMOVDQU64 ·codeTable+0(SB), Z2
	VPERMT2B ·codeTable+64(SB), Z1, Z2 // Z2: each byte's class code
	VPTESTMB Z2, Z2, K1
	VPCMPUB $1, ·codes+const_codeStop*64(SB), Z2, K1, K1 // tok: codes 1 to 7
	KMOVQ K1, masks_tok(DI)
	CLASS(const_codeDigit, masks_digit)
	CLASS(const_codeHex, masks_hex)
	CLASS(const_codeAlpha, masks_alpha)
	CLASS(const_codeDot, masks_dot)
	CLASS(const_codeColon, masks_colon)
	CLASS(const_codeAt, masks_at)
	CLASS(const_codeOther, masks_other)
	CLASS(const_codeSlash, masks_slash)
	VPCMPEQB ·codes+const_codeStop*64(SB), Z2, K1
	VPTESTNMB Z0, Z0, K2 // NUL
	KORQ K2, K1, K1
	KMOVQ K1, masks_stop(DI)
	VZEROUPPER
	RET

// RANGE stores in m's field (at DI) the mask of the bytes of src that are
// vconst[lo] plus less than vconst[n], and adds it to K3.
#define RANGE(src, lo, n, field) VPSUBB ·vconst+lo*64(SB), src, Z2; VPCMPUB $1, ·vconst+n*64(SB), Z2, K1; KMOVQ K1, field(DI); KORQ K1, K3, K3

// EQUAL stores in m's field (at DI) the mask of the bytes of Z0 equal to
// vconst[c], and adds it to K3.
#define EQUAL(c, field) VPCMPEQB ·vconst+c*64(SB), Z0, K1; KMOVQ K1, field(DI); KORQ K1, K3, K3

// func classifyRanges(w *[64]byte, m *masks)
TEXT ·classifyRanges(SB), NOSPLIT, $0-16
	MOVQ w+0(FP), AX
	MOVQ m+8(FP), DI
	VMOVDQU64 (AX), Z0
	VPORQ ·vconst+0(SB), Z0, Z1 // letters folded to lower case
	KXORQ K3, K3, K3 // tok: the OR of the token classes
	RANGE(Z0, 1, 2, masks_digit) // '0' + [0, 10)
	RANGE(Z1, 3, 4, masks_hex)   // 'a' + [0, 6), either case
	RANGE(Z1, 5, 6, masks_alpha) // 'g' + [0, 20), either case
	EQUAL(7, masks_dot)          // '.'
	EQUAL(8, masks_colon)        // ':'
	EQUAL(9, masks_at)           // '@'
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
	STOPTABLES
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

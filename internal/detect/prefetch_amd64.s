#include "textflag.h"

// func prefetchWords(base *uint64, idx *uint32, n int)
TEXT ·prefetchWords(SB), NOSPLIT, $0-24
	MOVQ base+0(FP), AX
	MOVQ idx+8(FP), BX
	MOVQ n+16(FP), CX
loop:
	TESTQ CX, CX
	JEQ  done
	MOVL (BX), DX
	PREFETCHT0 (AX)(DX*8)
	ADDQ $4, BX
	DECQ CX
	JMP  loop
done:
	RET

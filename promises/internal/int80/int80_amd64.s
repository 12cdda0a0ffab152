#include "textflag.h"

// func Syscall(nr uintptr) uintptr
TEXT ·Syscall(SB),NOSPLIT,$0-16
	MOVQ	nr+0(FP), AX
	INT	$0x80
	MOVQ	AX, ret+8(FP)
	RET

#include "textflag.h"

// See rawsys.go for what these are for and why they are assembly.

#define SYS_rt_sigreturn	139
#define SYS_clone		220
#define SYS_pidfd_send_signal	424

// func rawVfork(flags, pidfdp uintptr) (pid, errno uintptr)
//
// clone(flags, 0, pidfdp, 0, 0) for flags with CLONE_VM|CLONE_VFORK: the
// child runs on this stack until it execs. The return address stays in the
// link register, which the child's calls cannot overwrite in the parent.
TEXT ·rawVfork(SB),NOSPLIT,$0-32
	MOVD	flags+0(FP), R0
	MOVD	$0, R1
	MOVD	pidfdp+8(FP), R2
	MOVD	$0, R3
	MOVD	$0, R4
	MOVD	$0, R5
	MOVD	$SYS_clone, R8
	SVC
	CMN	$4095, R0
	BCC	ok
	MOVD	ZR, pid+16(FP)
	NEG	R0, R0
	MOVD	R0, errno+24(FP)
	RET
ok:
	MOVD	R0, pid+16(FP)
	MOVD	ZR, errno+24(FP)
	RET

// forwardSignal is the kernel-called handler handler(sig) of the forwarded
// signals (sig in R0), on the thread's alternate stack with every signal
// blocked. It sets sig's bit in forwardPending; once forwardPidfd is set
// (not negative), it takes every pending bit and sends each signal to the
// program with pidfd_send_signal(forwardPidfd, sig, NULL, 0). It touches no
// Go state but those two words and no stack.
TEXT ·forwardSignal(SB),NOSPLIT|NOFRAME,$0
	SUB	$1, R0, R1
	MOVD	$1, R2
	LSL	R1, R2, R2
	MOVD	$·forwardPending(SB), R3
setbit:
	LDAXR	(R3), R4
	ORR	R2, R4, R4
	STLXR	R4, (R3), R5
	CBNZ	R5, setbit
	MOVD	$·forwardPidfd(SB), R6
	MOVW	(R6), R11
	TBNZ	$31, R11, done
take:
	LDAXR	(R3), R12
	STLXR	ZR, (R3), R5
	CBNZ	R5, take
next:
	CBZ	R12, done
	RBIT	R12, R9
	CLZ	R9, R9
	MOVD	$1, R10
	LSL	R9, R10, R10
	BIC	R10, R12, R12
	MOVD	R11, R0
	ADD	$1, R9, R1
	MOVD	$0, R2
	MOVD	$0, R3
	MOVD	$SYS_pidfd_send_signal, R8
	SVC
	B	next
done:
	RET

// sigreturn is forwardSignal's sa_restorer.
TEXT ·sigreturn(SB),NOSPLIT|NOFRAME,$0
	MOVD	$SYS_rt_sigreturn, R8
	SVC
	UNDEF

// func forwardHandlers() (handler, restorer uintptr)
TEXT ·forwardHandlers(SB),NOSPLIT,$0-16
	MOVD	$·forwardSignal(SB), R0
	MOVD	R0, handler+0(FP)
	MOVD	$·sigreturn(SB), R0
	MOVD	R0, restorer+8(FP)
	RET

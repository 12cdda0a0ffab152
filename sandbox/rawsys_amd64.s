#include "textflag.h"

// See rawsys.go for what these are for and why they are assembly.

#define SYS_rt_sigreturn	15
#define SYS_clone		56
#define SYS_pidfd_send_signal	424

// func rawVfork(flags, pidfdp uintptr) (pid, errno uintptr)
//
// clone(flags, 0, pidfdp, 0, 0) for flags with CLONE_VM|CLONE_VFORK: the
// child runs on this stack until it execs. The call into the child
// overwrites the slot of this function's return address, so it is kept in
// R12 across the system call and pushed back in the parent (and in the
// child, which returns first).
TEXT ·rawVfork(SB),NOSPLIT|NOFRAME,$0-32
	MOVQ	flags+0(FP), DI
	MOVQ	$0, SI
	MOVQ	pidfdp+8(FP), DX
	MOVQ	$0, R10
	MOVQ	$0, R8
	MOVQ	$0, R9
	MOVQ	$SYS_clone, AX
	POPQ	R12
	SYSCALL
	PUSHQ	R12
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok
	MOVQ	$0, pid+16(FP)
	NEGQ	AX
	MOVQ	AX, errno+24(FP)
	RET
ok:
	MOVQ	AX, pid+16(FP)
	MOVQ	$0, errno+24(FP)
	RET

// forwardSignal is the kernel-called handler handler(sig) of the forwarded
// signals (sig in DI), on the thread's alternate stack with every signal
// blocked. It sets sig's bit in forwardPending; once forwardPidfd is set
// (not negative), it takes every pending bit and sends each signal to the
// program with pidfd_send_signal(forwardPidfd, sig, NULL, 0). It touches no
// Go state but those two words and no stack.
TEXT ·forwardSignal(SB),NOSPLIT|NOFRAME,$0
	LEAQ	-1(DI), CX
	MOVQ	$1, AX
	SHLQ	CX, AX
	LOCK
	ORQ	AX, ·forwardPending(SB)
	MOVLQSX	·forwardPidfd(SB), DI
	TESTQ	DI, DI
	JS	done
	XORQ	R8, R8
	XCHGQ	R8, ·forwardPending(SB)
next:
	TESTQ	R8, R8
	JZ	done
	BSFQ	R8, SI
	BTRQ	SI, R8
	INCQ	SI
	XORQ	DX, DX
	XORQ	R10, R10
	MOVQ	$SYS_pidfd_send_signal, AX
	SYSCALL
	JMP	next
done:
	RET

// sigreturn is forwardSignal's sa_restorer.
TEXT ·sigreturn(SB),NOSPLIT|NOFRAME,$0
	MOVQ	$SYS_rt_sigreturn, AX
	SYSCALL
	INT	$3

// func forwardHandlers() (handler, restorer uintptr)
TEXT ·forwardHandlers(SB),NOSPLIT,$0-16
	LEAQ	·forwardSignal(SB), AX
	MOVQ	AX, handler+0(FP)
	LEAQ	·sigreturn(SB), AX
	MOVQ	AX, restorer+8(FP)
	RET

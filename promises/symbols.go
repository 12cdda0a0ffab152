package promises

// Constants from the kernel's UAPI headers that the catalog's argument rules
// name. They have the same values on x86_64 and arm64.

// open(2) flags.
var (
	oWronly  = sym{"O_WRONLY", 01}
	oRdwr    = sym{"O_RDWR", 02}
	oAccmode = sym{"O_ACCMODE", 03}
	oCreat   = sym{"O_CREAT", 0100}
	oTrunc   = sym{"O_TRUNC", 01000}
	oTmpfile = sym{"__O_TMPFILE", 020000000}
)

// Mode bits that make a file setuid, setgid or sticky.
var (
	sISUID = sym{"S_ISUID", 04000}
	sISGID = sym{"S_ISGID", 02000}
	sISVTX = sym{"S_ISVTX", 01000}
)

// mmap(2) and mprotect(2).
var (
	protRead     = sym{"PROT_READ", 0x1}
	protWrite    = sym{"PROT_WRITE", 0x2}
	mapAnonymous = sym{"MAP_ANONYMOUS", 0x20}
	mapLocked    = sym{"MAP_LOCKED", 0x2000}
	mapNonblock  = sym{"MAP_NONBLOCK", 0x10000}
	mapHugetlb   = sym{"MAP_HUGETLB", 0x40000}
)

// fcntl(2) commands.
var (
	fDupfd        = sym{"F_DUPFD", 0}
	fGetfd        = sym{"F_GETFD", 1}
	fSetfd        = sym{"F_SETFD", 2}
	fGetfl        = sym{"F_GETFL", 3}
	fSetfl        = sym{"F_SETFL", 4}
	fGetlk        = sym{"F_GETLK", 5}
	fSetlk        = sym{"F_SETLK", 6}
	fSetlkw       = sym{"F_SETLKW", 7}
	fOFDGetlk     = sym{"F_OFD_GETLK", 36}
	fOFDSetlk     = sym{"F_OFD_SETLK", 37}
	fOFDSetlkw    = sym{"F_OFD_SETLKW", 38}
	fDupfdCloexec = sym{"F_DUPFD_CLOEXEC", 1030}
)

// ioctl(2) requests.
var (
	tcsbrk     = sym{"TCSBRK", 0x5409}
	tcxonc     = sym{"TCXONC", 0x540A}
	tcflsh     = sym{"TCFLSH", 0x540B}
	tcgets     = sym{"TCGETS", 0x5401}
	tcsets     = sym{"TCSETS", 0x5402}
	tcsetsw    = sym{"TCSETSW", 0x5403}
	tcsetsf    = sym{"TCSETSF", 0x5404}
	tiocgpgrp  = sym{"TIOCGPGRP", 0x540F}
	tiocspgrp  = sym{"TIOCSPGRP", 0x5410}
	tiocgwinsz = sym{"TIOCGWINSZ", 0x5413}
	tiocswinsz = sym{"TIOCSWINSZ", 0x5414}
	fionread   = sym{"FIONREAD", 0x541B}
	fionbio    = sym{"FIONBIO", 0x5421}
	tiocsbrk   = sym{"TIOCSBRK", 0x5427}
	fionclex   = sym{"FIONCLEX", 0x5450}
	fioclex    = sym{"FIOCLEX", 0x5451}
	siocatmark = sym{"SIOCATMARK", 0x8905}
)

// prctl(2) options.
var (
	prSetName       = sym{"PR_SET_NAME", 15}
	prGetName       = sym{"PR_GET_NAME", 16}
	prGetSeccomp    = sym{"PR_GET_SECCOMP", 21}
	prSetSeccomp    = sym{"PR_SET_SECCOMP", 22}
	prCapbsetRead   = sym{"PR_CAPBSET_READ", 23}
	prCapbsetDrop   = sym{"PR_CAPBSET_DROP", 24}
	prSetNoNewPrivs = sym{"PR_SET_NO_NEW_PRIVS", 38}
	prSetVMA        = sym{"PR_SET_VMA", 0x53564d41}
	prLoaderDoneSym = sym{"LoaderDoneOption", LoaderDoneOption}
)

// clone(2) flags.
var (
	cloneVM       = sym{"CLONE_VM", 0x100}
	cloneFS       = sym{"CLONE_FS", 0x200}
	cloneFiles    = sym{"CLONE_FILES", 0x400}
	cloneSighand  = sym{"CLONE_SIGHAND", 0x800}
	clonePtrace   = sym{"CLONE_PTRACE", 0x2000}
	cloneThread   = sym{"CLONE_THREAD", 0x10000}
	cloneNewNS    = sym{"CLONE_NEWNS", 0x20000}
	cloneUntraced = sym{"CLONE_UNTRACED", 0x800000}
	cloneNewCgrp  = sym{"CLONE_NEWCGROUP", 0x2000000}
	cloneNewUTS   = sym{"CLONE_NEWUTS", 0x4000000}
	cloneNewIPC   = sym{"CLONE_NEWIPC", 0x8000000}
	cloneNewUser  = sym{"CLONE_NEWUSER", 0x10000000}
	cloneNewPID   = sym{"CLONE_NEWPID", 0x20000000}
	cloneNewNet   = sym{"CLONE_NEWNET", 0x40000000}
)

// Socket families, types and protocols.
var (
	afUnix       = sym{"AF_UNIX", 1}
	afInet       = sym{"AF_INET", 2}
	afInet6      = sym{"AF_INET6", 10}
	sockStream   = sym{"SOCK_STREAM", 1}
	sockDgram    = sym{"SOCK_DGRAM", 2}
	sockNonblock = sym{"SOCK_NONBLOCK", 0x800}
	sockCloexec  = sym{"SOCK_CLOEXEC", 0x80000}
	protoDefault = sym{"0", 0}
	ipprotoICMP  = sym{"IPPROTO_ICMP", 1}
	ipprotoTCP   = sym{"IPPROTO_TCP", 6}
	ipprotoUDP   = sym{"IPPROTO_UDP", 17}
)

// Socket option levels and names.
var (
	solIP              = sym{"SOL_IP", 0}
	solSocket          = sym{"SOL_SOCKET", 1}
	solTCP             = sym{"IPPROTO_TCP", 6}
	solIPv6            = sym{"IPPROTO_IPV6", 41}
	soReuseaddr        = sym{"SO_REUSEADDR", 2}
	soType             = sym{"SO_TYPE", 3}
	soError            = sym{"SO_ERROR", 4}
	soDontroute        = sym{"SO_DONTROUTE", 5}
	soBroadcast        = sym{"SO_BROADCAST", 6}
	soKeepalive        = sym{"SO_KEEPALIVE", 9}
	soReuseport        = sym{"SO_REUSEPORT", 15}
	soRcvtimeo         = sym{"SO_RCVTIMEO", 20}
	soSndtimeo         = sym{"SO_SNDTIMEO", 21}
	ipRecverr          = sym{"IP_RECVERR", 11}
	ipRecvttl          = sym{"IP_RECVTTL", 12}
	tcpNodelay         = sym{"TCP_NODELAY", 1}
	tcpMaxseg          = sym{"TCP_MAXSEG", 2}
	tcpCork            = sym{"TCP_CORK", 3}
	tcpKeepidle        = sym{"TCP_KEEPIDLE", 4}
	tcpKeepintvl       = sym{"TCP_KEEPINTVL", 5}
	tcpKeepcnt         = sym{"TCP_KEEPCNT", 6}
	tcpQuickack        = sym{"TCP_QUICKACK", 12}
	tcpFastopen        = sym{"TCP_FASTOPEN", 23}
	tcpFastopenConnect = sym{"TCP_FASTOPEN_CONNECT", 30}
	ipv6V6only         = sym{"IPV6_V6ONLY", 26}
)

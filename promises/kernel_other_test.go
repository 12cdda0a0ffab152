//go:build !amd64

package promises

// archKernelCases are the kernel cases specific to this architecture.
var archKernelCases = map[string]kernelCase{}

package nomadplugin

import "io"

// ExecResult is the outcome of a non-interactive exec.
type ExecResult struct {
	Stdout []byte
	Stderr []byte
	Exit   ExitResult
}

// TerminalSize is a terminal's size in character cells.
type TerminalSize struct {
	Height int
	Width  int
}

// ExecOptions wires an interactive exec session to the agent.
type ExecOptions struct {
	Command []string
	// Tty asks for a pseudo-terminal; output then goes to Stdout only.
	Tty bool
	// Stdin yields the user's input and io.EOF when the user closes it.
	Stdin io.Reader
	// Stdout and Stderr forward output to the user as it is written.
	Stdout io.Writer
	Stderr io.Writer
	// Resize delivers terminal size changes (tty sessions); the latest wins.
	// It is closed when the session ends.
	Resize <-chan TerminalSize
}

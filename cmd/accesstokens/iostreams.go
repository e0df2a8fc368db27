package main

// The command's standard streams, and whether each is a terminal.

import (
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the command's standard streams and whether each is a
// terminal. Commands never look at os.Stdout themselves: tests inject
// buffers, and the terminal flags decide progress and table layout (people
// get progress bars, scripts get plain, stable output).
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	OutTTY bool // stdout is a terminal
	ErrTTY bool // stderr is a terminal: progress may be shown there
	// NoProgress keeps progress off a terminal stderr too: with -v, log
	// lines own stderr, and a bar redrawn between them would break them.
	NoProgress bool
}

// showProgress reports whether progress may be drawn on stderr.
func (s *IOStreams) showProgress() bool { return s.ErrTTY && !s.NoProgress }

// SystemIO returns the process's streams.
func SystemIO() *IOStreams {
	return &IOStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		OutTTY: isTerminal(os.Stdout),
		ErrTTY: isTerminal(os.Stderr),
	}
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

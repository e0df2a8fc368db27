package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/term"
)

// Reading the password of --password-stdin: the first line of stdin, from a
// pipe as it comes, from a terminal without echo.

// readPassword reads the first line of in, without its line ending. When in
// is a terminal, it asks for the password on errOut and reads it without
// echo, restoring the terminal even when Ctrl-C ends the read.
func readPassword(in io.Reader, errOut io.Writer, user string) (string, error) {
	var (
		password string
		err      error
	)
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(errOut, "Password for %s: ", user)
		password, err = readHidden(int(f.Fd()))
		fmt.Fprintln(errOut) // the Enter the terminal did not echo
	} else {
		password, err = readLine(in)
	}
	if err != nil {
		return "", err
	}
	if password == "" {
		return "", usageError("--password-stdin: stdin is empty")
	}
	return password, nil
}

// readLine reads the first line of r.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("--password-stdin: reading stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// readHidden reads a line from the terminal fd with echo off. A Ctrl-C or
// SIGTERM meanwhile restores the terminal's settings before the run ends.
func readHidden(fd int) (string, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("--password-stdin: reading the terminal: %w", err)
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)

	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := term.ReadPassword(fd)
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return "", fmt.Errorf("--password-stdin: reading the terminal: %w", r.err)
		}
		return strings.TrimRight(string(r.line), "\r"), nil
	case <-signals:
		_ = term.Restore(fd, state)
		return "", &exitError{code: exitInterrupted, err: errors.New("interrupted while reading the password")}
	}
}

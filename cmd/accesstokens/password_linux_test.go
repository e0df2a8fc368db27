package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openPTY opens a pseudo-terminal pair with the standard library alone: the
// master side plays the person at the keyboard, the slave side is the
// command's stdin.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { master.Close() })
	var unlock int32
	require.NoError(t, ioctl(master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))))
	var n uint32
	require.NoError(t, ioctl(master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))))
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

func ioctl(fd, req, arg uintptr) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, req, arg); errno != 0 {
		return errno
	}
	return nil
}

func echoOn(t *testing.T, tty *os.File) bool {
	t.Helper()
	var tio syscall.Termios
	require.NoError(t, ioctl(tty.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&tio))))
	return tio.Lflag&syscall.ECHO != 0
}

// TestPasswordStdinOnATerminalIsNotEchoed: typed at a terminal, the
// password never shows; the terminal echoes again afterwards.
func TestPasswordStdinOnATerminalIsNotEchoed(t *testing.T) {
	t.Parallel()
	master, slave := openPTY(t)
	require.True(t, echoOn(t, slave), "a fresh terminal echoes")

	var prompt bytes.Buffer
	type result struct {
		password string
		err      error
	}
	done := make(chan result, 1)
	go func() {
		pw, err := readPassword(slave, &prompt, "alice")
		done <- result{pw, err}
	}()
	// Type only once echo is off: a terminal echoes input as it arrives.
	// Bounded: it turns into a failure, never a hang.
	deadline := time.Now().Add(10 * time.Second)
	for echoOn(t, slave) {
		require.False(t, time.Now().After(deadline), "echo was never turned off")
		runtime.Gosched()
	}
	_, err := master.WriteString("s3cret\n")
	require.NoError(t, err)
	r := <-done
	require.NoError(t, r.err)
	assert.Equal(t, "s3cret", r.password)
	assert.True(t, echoOn(t, slave), "echo is back on once the password is read")

	// Whatever the terminal showed, then a marker: the password is not in it.
	_, err = slave.WriteString("END\n")
	require.NoError(t, err)
	var shown strings.Builder
	buf := make([]byte, 256)
	for !strings.Contains(shown.String(), "END") {
		n, err := master.Read(buf)
		require.NoError(t, err)
		shown.Write(buf[:n])
	}
	assert.NotContains(t, shown.String(), "s3cret", "the password was echoed")
	assert.Equal(t, "Password for alice: \n", prompt.String())
}

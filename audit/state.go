// The state file of a resumable audit: what it records, how it is created,
// checked and resumed. Its lines are written and read in state_lines.go.

package audit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"github.com/bbdc-tools/accesstokens"
)

// ErrStateExists is returned by CreateState for a path that exists: an
// unfinished audit's progress is never overwritten by accident.
var ErrStateExists = errors.New("audit: the state file exists")

// StateKey names the audit a state file belongs to. A file is resumed only
// by an audit with the same key: the same server, the same scopes.
type StateKey struct {
	Server string // the server's base URL
	// Selection says which scopes the audit reads, in the caller's words
	// (the command writes "--all", or its --scope values in order).
	Selection string
}

// State records an audit's progress in a file, so that an audit cut off
// (Ctrl-C, a lost connection, a reboot) can go on where it stopped: Run
// writes each token it reads, and a line for each scope read to the end;
// a Run given the State of ResumeState emits the tokens of those scopes
// again, without reading them, and reads the others. At most the scopes
// that were being read when the audit stopped are read twice.
//
// The file holds what the server lists (names, dates, permissions, owners),
// never a secret: the server shows a secret only once, at creation. It is
// created with mode 0600, holds one JSON object per line, and is rewritten
// when resumed, keeping only the scopes read to the end. Tokens are judged
// when they are emitted, so a resumed audit may use other Rules, a Keep
// filter or an output format than the one that wrote the file.
//
// A State is used by one Run at a time; Close it (or Remove it, once the
// audit is complete) when the run ends.
type State struct {
	path string
	key  StateKey

	file *os.File      // the file written to
	w    *bufio.Writer // over file
	line []byte        // scratch for encoding lines

	// A resumed file, until replay has copied what it keeps into file.
	prev     *os.File
	prevSize int64
	done     map[accesstokens.Scope]int // scopes prev records as read, with their token counts
	resumed  int                        // len(done) when the file was checked
}

// CreateState starts the state file of a new audit at path, mode 0600. It
// fails with ErrStateExists when path exists.
func CreateState(path string, key StateKey) (*State, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%w: %s", ErrStateExists, path)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: creating the state file: %w", err)
	}
	s := &State{path: path, key: key, file: f, w: bufio.NewWriter(f)}
	if err := s.writeHeader(); err != nil {
		s.abandon()
		return nil, err
	}
	return s, nil
}

// ResumeState opens the state file at path to go on with the audit it
// records; when path does not exist, it starts a new one as CreateState
// does. A file that is not a state file, is damaged, or was written for
// another StateKey (another server, other scopes) is refused with an error
// that says so and matches accesstokens.ErrInvalidArgument, before anything
// is read from the server.
//
// A last line cut short (the process was killed while writing it) is not
// damage: it is dropped.
func ResumeState(path string, key StateKey) (*State, error) {
	prev, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return CreateState(path, key)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: opening the state file: %w", err)
	}
	s := &State{path: path, key: key, prev: prev}
	if err := s.check(); err != nil {
		prev.Close()
		return nil, err
	}
	return s, nil
}

// Resumed returns how many scopes the resumed file records as read to the
// end (0 for a new file).
func (s *State) Resumed() int { return s.resumed }

// Path returns the file's path.
func (s *State) Path() string { return s.path }

// Close writes what is buffered to the file, syncs it and closes it.
func (s *State) Close() error {
	if s.prev != nil { // never replayed: the resumed file stays as it was
		s.prev.Close()
		s.prev = nil
		s.abandon()
		return nil
	}
	if s.file == nil {
		return nil
	}
	err := s.w.Flush()
	if syncErr := s.file.Sync(); err == nil {
		err = syncErr
	}
	if closeErr := s.file.Close(); err == nil {
		err = closeErr
	}
	s.file = nil
	if err != nil {
		return fmt.Errorf("audit: writing the state file: %w", err)
	}
	return nil
}

// Remove closes the file and removes it: for an audit that read every
// scope, whose progress there is no reason to keep.
func (s *State) Remove() error {
	err := s.Close()
	if rmErr := os.Remove(s.path); err == nil && rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
		err = fmt.Errorf("audit: removing the state file: %w", rmErr)
	}
	return err
}

// abandon closes and removes a file being written that will not be used.
func (s *State) abandon() {
	if s.file == nil {
		return
	}
	name := s.file.Name()
	s.file.Close()
	s.file = nil
	os.Remove(name)
}

// replay runs before Run reads anything: for a resumed file it emits,
// through token, the recorded tokens of every target the file records as
// read, and reports those targets through scope; it writes them into a new
// file, which then takes the old one's place. Scopes the file recorded
// that are no target any more are dropped.
func (s *State) replay(ctx context.Context, targets []Target, token func(target int, t accesstokens.AccessToken, unread []string) error, scope func(target int)) error {
	if s.prev == nil {
		return nil
	}
	index := make(map[accesstokens.Scope]int, len(s.done))
	for i, t := range targets {
		if _, ok := s.done[t.Scope]; ok {
			index[t.Scope] = i
		}
	}
	tmp, err := os.OpenFile(s.path+".new", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("audit: rewriting the state file: %w", err)
	}
	s.file, s.w = tmp, bufio.NewWriter(tmp)
	if err := s.writeHeader(); err != nil {
		return err
	}
	err = s.copyDone(ctx, index, token, scope)
	if err == nil {
		err = s.w.Flush()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path)
	}
	if err != nil {
		return fmt.Errorf("audit: resuming from the state file: %w", err)
	}
	s.prev.Close()
	s.prev, s.done = nil, nil
	return nil
}

// copyDone reads the resumed file again, copying the lines of the targets
// it records as read into the new file and emitting their tokens.
func (s *State) copyDone(ctx context.Context, index map[accesstokens.Scope]int, token func(int, accesstokens.AccessToken, []string) error, scope func(int)) error {
	return s.readLines(func(raw []byte, l *stateLine) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		sc, _ := accesstokens.ParseScope(l.scopeText()) // checked by check
		target, keep := index[sc]
		if !keep {
			return nil
		}
		if _, err := s.w.Write(raw); err != nil {
			return err
		}
		if l.Done != "" {
			scope(target)
			return nil
		}
		return token(target, l.Token.accessToken(), l.Token.UnreadDates)
	}, func(sc accesstokens.Scope) bool { _, ok := s.done[sc]; return ok })
}

// recordToken writes one token read.
func (s *State) recordToken(scope accesstokens.Scope, t *accesstokens.AccessToken, unread []string) error {
	s.line = appendTokenLine(s.line[:0], scope, t, unread)
	if _, err := s.w.Write(s.line); err != nil {
		return fmt.Errorf("audit: writing the state file: %w", err)
	}
	return nil
}

// recordDone writes that a scope was read to the end, with n tokens, and
// hands what is buffered to the operating system: a process killed after
// this keeps the scope.
func (s *State) recordDone(scope accesstokens.Scope, n int) error {
	s.line = appendDoneLine(s.line[:0], scope, n)
	if _, err := s.w.Write(s.line); err != nil {
		return fmt.Errorf("audit: writing the state file: %w", err)
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("audit: writing the state file: %w", err)
	}
	return nil
}

// check reads the whole resumed file once, before any request: its header
// must match the key, every line must be whole and well-formed, and every
// scope recorded as read must have as many tokens as its line says.
func (s *State) check() error {
	if err := s.readHeader(); err != nil {
		return err
	}
	tokens := map[accesstokens.Scope]int{}
	s.done = map[accesstokens.Scope]int{}
	return s.readLines(func(_ []byte, l *stateLine) error {
		sc, _ := accesstokens.ParseScope(l.scopeText()) // parseLine checked it
		if l.Done == "" {
			tokens[sc]++
			return nil
		}
		if tokens[sc] != l.Tokens {
			return s.damaged(l.number, "it records "+strconv.Itoa(l.Tokens)+" tokens of "+sc.String()+", the lines before it "+strconv.Itoa(tokens[sc]))
		}
		s.done[sc] = l.Tokens
		s.resumed = len(s.done)
		return nil
	}, nil)
}

// damaged is the error of a state file that cannot be trusted.
func (s *State) damaged(line int, why string) error {
	return invalid("state", fmt.Sprintf("%s, line %d: %s: not a state file this version wrote, or damaged; remove it to start over", s.path, line, why))
}

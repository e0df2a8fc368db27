// The lines of a state file (see State): a header, then one line per token
// read and one per scope read to the end, each a JSON object.
//
//	{"format":"accesstokens audit state","version":1,"server":"https://…","selection":"--all"}
//	{"scope":"project:PRJ","token":{"id":"…","name":"…","createdDate":"…",…}}
//	{"done":"project:PRJ","tokens":1}

package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/bbdc-tools/accesstokens"
)

// stateFormat and stateVersion open every state file.
const (
	stateFormat  = "accesstokens audit state"
	stateVersion = 1
)

type stateHeader struct {
	Format    string `json:"format"`
	Version   int    `json:"version"`
	Server    string `json:"server"`
	Selection string `json:"selection"`
}

// stateLine is a token line or a done line.
type stateLine struct {
	Scope  string      `json:"scope,omitempty"`
	Token  *stateToken `json:"token,omitempty"`
	Done   string      `json:"done,omitempty"`
	Tokens int         `json:"tokens,omitempty"`

	number int // in the file, from 1
}

func (l *stateLine) scopeText() string {
	if l.Done != "" {
		return l.Done
	}
	return l.Scope
}

// stateToken is an AccessToken as the state file keeps it: its own fixed
// shape, whatever shape the SDK's types take in JSON.
type stateToken struct {
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	CreatedDate       time.Time  `json:"createdDate"`
	ExpiryDate        *time.Time `json:"expiryDate"`
	LastAuthenticated *time.Time `json:"lastAuthenticated"`
	Permissions       []string   `json:"permissions"`
	User              *stateUser `json:"user"`
	// UnreadDates: the token's dates the server sent that could not be
	// read (Token.UnreadDates); absent for a token read in full.
	UnreadDates []string `json:"unreadDates,omitempty"`
}

type stateUser struct {
	ID           int    `json:"id"`
	Name         string `json:"name"`
	Slug         string `json:"slug"`
	DisplayName  string `json:"displayName"`
	EmailAddress string `json:"emailAddress"`
	Active       bool   `json:"active"`
	Type         string `json:"type"`
}

func newStateToken(t *accesstokens.AccessToken, unread []string) *stateToken {
	st := &stateToken{ID: t.ID, Name: t.Name, CreatedDate: t.CreatedDate, ExpiryDate: t.ExpiryDate,
		LastAuthenticated: t.LastAuthenticated, Permissions: make([]string, len(t.Permissions)), UnreadDates: unread}
	for i, p := range t.Permissions {
		st.Permissions[i] = string(p)
	}
	if u := t.User; u != nil {
		st.User = &stateUser{ID: u.ID, Name: u.Name, Slug: u.Slug, DisplayName: u.DisplayName,
			EmailAddress: u.EmailAddress, Active: u.Active, Type: u.Type}
	}
	return st
}

func (st *stateToken) accessToken() accesstokens.AccessToken {
	t := accesstokens.AccessToken{ID: st.ID, Name: st.Name, CreatedDate: st.CreatedDate, ExpiryDate: st.ExpiryDate,
		LastAuthenticated: st.LastAuthenticated, Permissions: make([]accesstokens.Permission, len(st.Permissions))}
	for i, p := range st.Permissions {
		t.Permissions[i] = accesstokens.Permission(p)
	}
	if u := st.User; u != nil {
		t.User = &accesstokens.User{ID: u.ID, Name: u.Name, Slug: u.Slug, DisplayName: u.DisplayName,
			EmailAddress: u.EmailAddress, Active: u.Active, Type: u.Type}
	}
	return t
}

func appendTokenLine(buf []byte, scope accesstokens.Scope, t *accesstokens.AccessToken, unread []string) []byte {
	return appendLine(buf, stateLine{Scope: scope.String(), Token: newStateToken(t, unread)})
}

func appendDoneLine(buf []byte, scope accesstokens.Scope, n int) []byte {
	return appendLine(buf, stateLine{Done: scope.String(), Tokens: n})
}

func appendLine(buf []byte, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // strings, numbers and times: nothing that can fail
	}
	return append(append(buf, b...), '\n')
}

func (s *State) writeHeader() error {
	s.line = appendLine(s.line[:0], stateHeader{Format: stateFormat, Version: stateVersion, Server: s.key.Server, Selection: s.key.Selection})
	_, err := s.w.Write(s.line)
	if err == nil {
		err = s.w.Flush()
	}
	if err != nil {
		return fmt.Errorf("audit: writing the state file: %w", err)
	}
	return nil
}

// readHeader reads the resumed file's first line and checks it against the key.
func (s *State) readHeader() error {
	if _, err := s.prev.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("audit: reading the state file: %w", err)
	}
	line, err := bufio.NewReader(s.prev).ReadBytes('\n')
	var h stateHeader
	if err != nil || json.Unmarshal(line, &h) != nil || h.Format != stateFormat {
		return s.damaged(1, "no state file header")
	}
	if h.Version != stateVersion {
		return s.damaged(1, "version "+strconv.Itoa(h.Version)+", this one reads "+strconv.Itoa(stateVersion))
	}
	if h.Server != s.key.Server {
		return invalid("state", fmt.Sprintf("%s records an audit of %s, not of %s: resume it against that server, or remove it to start over", s.path, strconv.Quote(h.Server), strconv.Quote(s.key.Server)))
	}
	if h.Selection != s.key.Selection {
		return invalid("state", fmt.Sprintf("%s records an audit of %s, not of %s: resume it with the same scopes, or remove it to start over", s.path, h.Selection, s.key.Selection))
	}
	s.prevSize = int64(len(line))
	return nil
}

// readLines calls each for every whole line after the header (raw with its
// newline); a last line without a newline was cut short and is skipped.
// With want set, only lines of the scopes it wants are decoded in full.
func (s *State) readLines(each func(raw []byte, l *stateLine) error, want func(accesstokens.Scope) bool) error {
	if _, err := s.prev.Seek(s.prevSize, io.SeekStart); err != nil {
		return fmt.Errorf("audit: reading the state file: %w", err)
	}
	r := bufio.NewReaderSize(s.prev, 64<<10)
	for n := 2; ; n++ {
		raw, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return nil // a line without its newline, if any, was cut short
		}
		if err != nil {
			return fmt.Errorf("audit: reading the state file: %w", err)
		}
		l, err := s.parseLine(raw, n, want)
		if err != nil {
			return err
		}
		if l == nil {
			continue
		}
		if err := each(raw, l); err != nil {
			return err
		}
	}
}

// parseLine decodes one line; nil when want does not want its scope.
func (s *State) parseLine(raw []byte, n int, want func(accesstokens.Scope) bool) (*stateLine, error) {
	if want != nil {
		var peek struct{ Scope, Done string }
		if json.Unmarshal(raw, &peek) == nil {
			text := peek.Scope + peek.Done
			if sc, err := accesstokens.ParseScope(text); err == nil && !want(sc) {
				return nil, nil
			}
		}
	}
	l := &stateLine{number: n}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(l); err != nil {
		return nil, s.damaged(n, "not a state line")
	}
	if (l.Done == "") == (l.Scope == "") || (l.Done == "") == (l.Token == nil) {
		return nil, s.damaged(n, "not a token line nor a scope's end")
	}
	if _, err := accesstokens.ParseScope(l.scopeText()); err != nil {
		return nil, s.damaged(n, "bad scope "+strconv.Quote(l.scopeText()))
	}
	if l.Token != nil && l.Token.ID == "" {
		return nil, s.damaged(n, "a token without its id")
	}
	return l, nil
}

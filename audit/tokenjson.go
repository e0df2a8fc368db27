// The TOKEN object of the command's json and jsonl output, written by hand
// (it pays: see BenchmarkTokenJSON) in one fixed shape, whatever shape the
// SDK's AccessToken takes in JSON.

package audit

import (
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// MarshalJSON writes the token as the command's TOKEN object:
//
//	{"scope":"project:PRJ","id":"…","name":"…","createdDate":"…","expiryDate":"…",
//	 "lastAuthenticated":"…","permissions":[…],"owner":"slug","findings":[…],"daysLeft":N}
//
// Dates are RFC 3339 in UTC (with the server's milliseconds when they are not
// zero); an absent date is null, an unknown owner is null, daysLeft is null
// when the token never expires; permissions and findings are [] when empty.
func (t Token) MarshalJSON() ([]byte, error) {
	return t.appendJSON(nil), nil
}

// appendJSON appends the TOKEN object to buf.
func (t *Token) appendJSON(buf []byte) []byte {
	buf = append(buf, `{"scope":`...)
	buf = appendScope(buf, t)
	buf = append(buf, `,"id":`...)
	buf = appendJSONString(buf, t.ID)
	buf = append(buf, `,"name":`...)
	buf = appendJSONString(buf, t.Name)
	buf = append(buf, `,"createdDate":`...)
	buf = appendJSONTime(buf, t.CreatedDate)
	buf = append(buf, `,"expiryDate":`...)
	buf = appendJSONTimePtr(buf, t.ExpiryDate)
	buf = append(buf, `,"lastAuthenticated":`...)
	buf = appendJSONTimePtr(buf, t.LastAuthenticated)
	buf = append(buf, `,"permissions":[`...)
	for i, p := range t.Permissions {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, string(p))
	}
	buf = append(buf, `],"owner":`...)
	if owner := t.Owner(); owner != "" {
		buf = appendJSONString(buf, owner)
	} else {
		buf = append(buf, "null"...)
	}
	buf = append(buf, `,"findings":[`...)
	for i, f := range t.Findings {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, string(f))
	}
	buf = append(buf, `],"daysLeft":`...)
	if t.DaysLeft != nil {
		buf = strconv.AppendInt(buf, int64(*t.DaysLeft), 10)
	} else {
		buf = append(buf, "null"...)
	}
	return append(buf, '}')
}

// appendScope appends the scope as a JSON string, as Scope.String writes
// it, without building that string first.
func appendScope(buf []byte, t *Token) []byte {
	s := t.Scope
	switch {
	case isUserScope(s):
		buf = append(buf, `"user:`...)
		buf = appendJSONBody(buf, s.UserSlug)
	case s.UserSlug == "" && s.ProjectKey != "" && s.RepoSlug == "":
		buf = append(buf, `"project:`...)
		buf = appendJSONBody(buf, s.ProjectKey)
	case s.UserSlug == "" && s.ProjectKey != "" && s.RepoSlug != "":
		buf = append(buf, `"repo:`...)
		buf = appendJSONBody(buf, s.ProjectKey)
		buf = append(buf, '/')
		buf = appendJSONBody(buf, s.RepoSlug)
	default:
		return appendJSONString(buf, s.String())
	}
	return append(buf, '"')
}

// timeLayout is RFC 3339 with the fraction of a second only when there is one.
const timeLayout = time.RFC3339Nano

// appendJSONTime appends an RFC 3339 UTC date as a JSON string; the zero time is null.
func appendJSONTime(buf []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(buf, "null"...)
	}
	buf = append(buf, '"')
	buf = t.UTC().AppendFormat(buf, timeLayout)
	return append(buf, '"')
}

func appendJSONTimePtr(buf []byte, t *time.Time) []byte {
	if t == nil {
		return append(buf, "null"...)
	}
	return appendJSONTime(buf, *t)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string that encoding/json reads back
// as s (invalid UTF-8 as U+FFFD, as encoding/json writes it), and that a
// terminal shows as it is: quotes, backslashes, and every character
// textsafe.Hidden reports (controls, bidi overrides, zero-width and line
// separators) are escaped.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	buf = appendJSONBody(buf, s)
	return append(buf, '"')
}

// appendJSONBody appends s escaped as in a JSON string, without the quotes.
func appendJSONBody(buf []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			i++
			continue
		}
		buf = append(buf, s[start:i]...)
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == '"' || c == '\\':
			buf = append(buf, '\\', c)
		case c == '\n':
			buf = append(buf, '\\', 'n')
		case c == '\r':
			buf = append(buf, '\\', 'r')
		case c == '\t':
			buf = append(buf, '\\', 't')
		case r == utf8.RuneError && size == 1:
			buf = append(buf, `\ufffd`...)
		case textsafe.Hidden(r):
			buf = appendJSONEscape(buf, r)
		default:
			buf = append(buf, s[i:i+size]...)
		}
		i += size
		start = i
	}
	return append(buf, s[start:]...)
}

// appendJSONEscape appends r as \uXXXX, or as a surrogate pair of them.
func appendJSONEscape(buf []byte, r rune) []byte {
	if r > 0xffff {
		hi, lo := utf16.EncodeRune(r)
		return appendJSONEscape(appendJSONEscape(buf, hi), lo)
	}
	return append(buf, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

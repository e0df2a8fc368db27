// Package textsafe holds the one rule for showing text that a server, or
// anyone who can name a token, wrote: on a terminal, in a log line, in an
// error, in a CSV cell. The SDK, the audit engine and the command all use it,
// so that a character hidden in one place is hidden in every place.
package textsafe

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Hidden reports characters that control a terminal or change how the text
// around them is shown: C0 and C1 controls (ESC among them), DEL, line and
// paragraph separators, bidi marks, embeddings, overrides and isolates,
// zero-width characters, the byte-order mark and every other Unicode format
// character (category Cf, such as the soft hyphen and tag characters).
// Text with one of them can forge a log line, rewrite a terminal line, hide
// a word, or show its characters in another order than they are stored.
func Hidden(r rune) bool {
	switch {
	case r < ' ', r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r == '\u2028', r == '\u2029': // line and paragraph separators (Zl, Zp)
		return true
	case r == utf8.RuneError:
		return true // invalid UTF-8 reaches a terminal as whatever bytes it was
	}
	return r > 0x7f && unicode.Is(unicode.Cf, r)
}

// Terminal returns s with every Hidden character written as a Go escape
// (`\x1b`, `\t`, `\u202e`), so that what a person sees is what is stored,
// and nothing of s acts on the terminal. Invalid UTF-8 bytes become `\xNN`.
// Text without such characters comes back unchanged.
func Terminal(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case Hidden(r):
			b.WriteString(escape(r))
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Blank returns s with every Hidden character replaced by a space: for
// error strings and log lines, where an escape would be noise. Invalid
// UTF-8 bytes become spaces too.
func Blank(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if Hidden(r) {
			b.WriteByte(' ')
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needsEscape reports whether s holds a Hidden character or invalid UTF-8.
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c >= 0x7f {
			return strings.ContainsFunc(s[i:], Hidden)
		}
	}
	return false
}

// escape writes r as Go would in a quoted string.
func escape(r rune) string {
	switch r {
	case '\t':
		return `\t`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	}
	q := strconv.QuoteRuneToASCII(r) // 'x' with the escape inside
	return q[1 : len(q)-1]
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}

// CSVCell returns s as a spreadsheet will show it and never run it: a cell
// that starts with '=', '+', '-', '@', a tab or a carriage return, and is not
// a number, gets a leading "'" (OWASP's advice on CSV injection), so that a
// token name such as =HYPERLINK(...) stays text. Numbers such as -3 (a
// daysLeft) are left as they are.
func CSVCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
	default:
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return "'" + s
}

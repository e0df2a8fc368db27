// Keeping credentials out of recorded requests: secrets and passwords are blanked, however encoded.

package accesstokenstest

import "strings"

// Redacted replaces a credential found in a recorded [Request]'s RawPath or Query.
const Redacted = "[REDACTED]"

// redactLocked replaces every remembered minted secret and every user's password that appears in
// raw, a path or query as received, with Redacted. Matching is done on the percent-decoded text
// (and, for a query, also with "+" read as a space), and the whole encoded span of a match is
// replaced, so neither "BBDC-abc%2B..." nor "pass%20word" survives.
//
// Secrets are looked up, not scanned for: each "BBDC-" in the text is followed by at most one
// secret of each minted length, so the cost is O(len(raw)), however many tokens were ever minted.
// Unprefixed secrets (WithUnprefixedSecrets) can start anywhere, so every offset is looked up:
// O(len(raw)) still, a few times slower.
func (f *Fake) redactLocked(raw string, query bool) string {
	if raw == "" {
		return raw
	}
	views := []decodedView{decode(raw, false)}
	if query && strings.Contains(raw, "+") {
		views = append(views, decode(raw, true))
	}
	var hide []bool // hide[i]: raw byte i is part of a credential
	hideSpan := func(v decodedView, i, n int) {
		if hide == nil {
			hide = make([]bool, len(raw))
		}
		for k := v.offset(i); k < v.offset(i+n); k++ {
			hide[k] = true
		}
	}
	for _, v := range views {
		for from := 0; ; {
			i := f.nextSecretStart(v.text, from)
			if i < 0 {
				break
			}
			for _, n := range f.secretLens {
				if i+n <= len(v.text) && f.isSecretLocked(v.text[i:i+n]) {
					hideSpan(v, i, n)
				}
			}
			from = i + 1
		}
		for _, p := range f.passwords {
			for from := 0; ; {
				i := strings.Index(v.text[from:], p)
				if i < 0 {
					break
				}
				i += from
				hideSpan(v, i, len(p))
				from = i + 1
			}
		}
	}
	if hide == nil {
		return raw
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if !hide[i] {
			b.WriteByte(raw[i])
			continue
		}
		b.WriteString(Redacted)
		for i+1 < len(raw) && hide[i+1] {
			i++
		}
	}
	return b.String()
}

// nextSecretStart is the first offset at or after from where a minted secret could start in
// text: the next "BBDC-", or, when secrets are unprefixed, from itself. -1: none.
func (f *Fake) nextSecretStart(text string, from int) int {
	if f.cfg.unprefixedSecrets {
		if from < len(text) {
			return from
		}
		return -1
	}
	i := strings.Index(text[from:], secretPrefix)
	if i < 0 {
		return -1
	}
	return from + i
}

// isSecretLocked reports whether s is the secret of a live token or of a recently deleted one.
func (f *Fake) isSecretLocked(s string) bool { return f.bySecret[s] != nil || f.retiredSet[s] }

// decodedView is raw text with its percent-escapes decoded; start[i] is the offset in the raw
// text where decoded byte i begins, and start[len(text)] is len(raw).
type decodedView struct {
	text  string
	start []int // nil when nothing was decoded: start[i] is i
}

// offset is the offset in the raw text where decoded byte i begins.
func (v decodedView) offset(i int) int {
	if v.start == nil {
		return i
	}
	return v.start[i]
}

func decode(raw string, plusIsSpace bool) decodedView {
	if !strings.Contains(raw, "%") && (!plusIsSpace || !strings.Contains(raw, "+")) {
		return decodedView{text: raw} // the common case: nothing to decode, nothing to allocate
	}
	var b strings.Builder
	start := make([]int, 0, len(raw)+1)
	for i := 0; i < len(raw); {
		start = append(start, i)
		switch c := raw[i]; {
		case c == '%' && i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]):
			b.WriteByte(unhex(raw[i+1])<<4 | unhex(raw[i+2]))
			i += 3
		case c == '+' && plusIsSpace:
			b.WriteByte(' ')
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	start = append(start, len(raw))
	return decodedView{text: b.String(), start: start}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

package accesstokens

import (
	"bytes"
	"encoding/json"
	"html"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Blanking the client's own credentials out of server text, in case a
// server or a proxy echoes request headers into an answer that an error
// then quotes.

// minCredentialLen is the shortest credential blanked wherever it appears; a
// shorter one (a demo password such as "alice") is blanked only where it
// stands as a whole word, so that it cannot mangle ordinary words.
const minCredentialLen = 8

// blankCredentials replaces the client's credentials (creds, which may be nil)
// wherever body repeats them, in the escapings a server or proxy is likely
// to use. A JSON body is re-encoded first, so that \uXXXX escapes cannot hide
// an echo. Text decoded from the result goes through blankCredentialText again.
func blankCredentials(body []byte, creds *[]string) []byte {
	if creds == nil || len(*creds) == 0 || len(body) == 0 {
		return body
	}
	return []byte(blankCredentialText(string(canonicalJSON(body)), creds))
}

// blankCredentialText replaces the client's credentials wherever s repeats them.
func blankCredentialText(s string, creds *[]string) string {
	if creds == nil {
		return s
	}
	for _, credential := range *creds {
		for _, form := range credentialForms(credential) {
			s = replaceCredential(s, form, len(credential) < minCredentialLen)
		}
	}
	return s
}

// credentialForms is a credential as it may come back: as is, escaped as in a JSON
// string (with and without HTML escaping), as HTML text, and URL-encoded.
func credentialForms(credential string) []string {
	forms := []string{credential}
	add := func(form string) {
		if form != "" && !slices.Contains(forms, form) {
			forms = append(forms, form)
		}
	}
	if quoted, err := json.Marshal(credential); err == nil {
		add(string(quoted[1 : len(quoted)-1])) // "<" as \u003c, "&" as \u0026
	}
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	if enc.Encode(credential) == nil {
		q := bytes.TrimSpace(plain.Bytes())
		add(string(q[1 : len(q)-1])) // only " and \ escaped
	}
	add(html.EscapeString(credential))
	add(url.QueryEscape(credential))
	add(url.PathEscape(credential))
	return forms
}

// replaceCredential replaces every form of a credential (echo) in s with the redaction marker; with
// wholeWord, only those not inside a longer word.
func replaceCredential(s, echo string, wholeWord bool) string {
	if !strings.Contains(s, echo) {
		return s
	}
	if !wholeWord {
		return strings.ReplaceAll(s, echo, redacted)
	}
	var b strings.Builder
	last := 0
	for from := 0; from < len(s); {
		i := strings.Index(s[from:], echo)
		if i < 0 {
			break
		}
		i += from
		end := i + len(echo)
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if (i == 0 || !isWordRune(before)) && (end == len(s) || !isWordRune(after)) {
			b.WriteString(s[last:i])
			b.WriteString(redacted)
			last, from = end, end
			continue
		}
		from = i + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// canonicalJSON re-encodes a JSON body with Go's plain escaping (\uXXXX
// decoded, HTML characters as is); anything else is returned unchanged.
func canonicalJSON(body []byte) []byte {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[' && trimmed[0] != '"') {
		return body
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return body
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return body
	}
	return bytes.TrimSpace(out.Bytes())
}

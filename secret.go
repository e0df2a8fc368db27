package accesstokens

// Secret: a token's value, which no printing, encoding or reflection shows;
// only Reveal does.

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"unicode/utf8"
)

// redacted is what every printed or encoded form of a Secret shows.
const redacted = "[REDACTED]"

// Secret holds a token value. Every way of printing or encoding it (fmt verbs,
// String, GoString, slog's LogValue, json and text marshalling) yields a fixed
// redaction marker; Reveal returns the value.
//
// It is an opaque struct: no conversion (string(s) does not compile), no
// reflection, map key, fmt bad-verb path or unexported struct field can show
// the value. Compare secrets by their Reveal, not with ==. The zero Secret is
// empty.
type Secret struct {
	// v points at the value's bytes, masked (see maskSecret). Where fmt
	// cannot call Format (an unexported field, a bad verb, %p) it prints a
	// pointer as an address; a reflection-based dumper (go-spew, which
	// testify's failure diffs use) follows it, and finds only the mask.
	v *[]byte
}

// NewSecret wraps a value, for stubs and tests; a Secret from Create is
// decoded from the server's answer.
func NewSecret(value string) Secret { return secretOf([]byte(value)) }

// secretOf makes a Secret of b, which it masks in place and keeps; empty b
// makes the zero Secret.
func secretOf(b []byte) Secret {
	if len(b) == 0 {
		return Secret{}
	}
	maskSecret(b)
	return Secret{v: &b}
}

// secretSeed keys the mask. It is drawn once per process and never leaves it,
// so masked bytes in a log say nothing; within the process, equal values mask
// alike, so reflect.DeepEqual (and testify's Equal) still compares secrets by
// value.
var secretSeed = func() (seed [32]byte) {
	_, _ = rand.Read(seed[:])
	return seed
}()

// maskSecret XORs b, in place, with a keystream made from secretSeed
// (SHA-256 in counter mode); masking twice gives b back.
func maskSecret(b []byte) {
	var in [len(secretSeed) + 8]byte
	copy(in[:], secretSeed[:])
	var block [sha256.Size]byte
	for i := range b {
		if i%sha256.Size == 0 {
			binary.BigEndian.PutUint64(in[len(secretSeed):], uint64(i/sha256.Size))
			block = sha256.Sum256(in[:])
		}
		b[i] ^= block[i%sha256.Size]
	}
}

// Reveal returns the secret value itself. Call it only where the value must
// leave the program: an Authorization header, a secrets manager.
func (s Secret) Reveal() string {
	if s.v == nil {
		return ""
	}
	b := bytes.Clone(*s.v)
	maskSecret(b)
	return string(b)
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == nil || len(*s.v) == 0 }

// maskedTail is how many trailing characters Masked shows, and
// maskedMinHidden how many characters must stay hidden before it shows any.
const maskedTail, maskedMinHidden = 4, 12

// Masked returns a hint for humans that shows at most the last 4 characters
// of the value: "BBDC-…x7Qa" (Bitbucket's "BBDC-" prefix is kept, since every
// token has it). A short secret shows none: "…". The zero Secret gives "".
func (s Secret) Masked() string {
	v := s.Reveal()
	if v == "" {
		return ""
	}
	prefix, rest := "", v
	if p, ok := strings.CutPrefix(v, "BBDC-"); ok {
		prefix, rest = "BBDC-", p
	}
	n := utf8.RuneCountInString(rest)
	if n < maskedTail+maskedMinHidden {
		return prefix + "…"
	}
	tail := rest
	for range n - maskedTail {
		_, size := utf8.DecodeRuneInString(tail)
		tail = tail[size:]
	}
	return prefix + "…" + tail
}

// String returns the redaction marker, never the value.
func (s Secret) String() string { return redacted }

// GoString returns the redaction marker, so %#v does not show the value.
func (s Secret) GoString() string { return redacted }

// Format writes the redaction marker for every fmt verb (%v %+v %#v %s %q %x …).
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue makes log/slog record the redaction marker.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON encodes the redaction marker as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText encodes the redaction marker (used by encoding/xml, map keys, and others).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalBinary encodes the redaction marker; encoding/gob uses it (gob
// ignores MarshalText and would otherwise write the value itself).
func (s Secret) MarshalBinary() ([]byte, error) { return []byte(redacted), nil }

// UnmarshalJSON decodes the token value from a JSON string, as the create
// answer carries it; null, as encoding/json does, changes nothing (a Secret
// decoded from a fresh answer stays empty).
func (s *Secret) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' && !bytes.ContainsFunc(b[1:n-1], needsUnquoting) {
		*s = secretOf(bytes.Clone(b[1 : n-1])) // a token has no escapes: no decoder needed
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		// Say what was there without quoting it: it may be the secret.
		return &json.UnmarshalTypeError{Value: "non-string", Type: reflect.TypeFor[Secret]()}
	}
	*s = NewSecret(v)
	return nil
}

// needsUnquoting is true for the characters that make a JSON string more
// than the text between its quotes: escapes, quotes, control characters, and
// anything outside ASCII (left to encoding/json to validate).
func needsUnquoting(r rune) bool { return r == '\\' || r == '"' || r < ' ' || r >= utf8.RuneSelf }

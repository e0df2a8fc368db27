package accesstokens

import (
	"fmt"
	"log/slog"
)

// redacted is what every printed or encoded form of a Secret shows.
const redacted = "[REDACTED]"

// Secret holds a token value. Every way of printing or encoding it (fmt verbs,
// String, GoString, slog's LogValue, json and text marshalling) yields a fixed
// redaction marker; Reveal returns the value.
type Secret string

// Reveal returns the secret value itself. Call it only where the value must
// leave the program: an Authorization header, a secrets manager.
func (s Secret) Reveal() string { return string(s) }

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

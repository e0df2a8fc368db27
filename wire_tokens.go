package accesstokens

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Tokens in Bitbucket's JSON: AccessToken and RawAccessToken read and write
// the wire format themselves (dates in epoch milliseconds), and a token whose
// date cannot be read is kept, as far as it was read, with an
// *InvalidTokenError that says which field failed.

// InvalidTokenError reports a token the server sent that could not be read
// in full: a date outside the years 1970 to 9999, or one that is neither
// epoch milliseconds nor ISO-8601. Token holds everything that was read (at
// least ID and Name); the field that failed is nil or zero in it, never a
// made-up value, so an unreadable expiry does not pass for "never expires".
//
// List returns such tokens in the page with the error; All yields each of
// them with its error and goes on with the next token. Get, Update and
// Create return no token, and an error that errors.As finds as
// *InvalidTokenError. json.Unmarshal into an AccessToken, a RawAccessToken or
// a Page[AccessToken] returns it too, with the value read as far as it could
// be. See InvalidTokens for a page with several of them.
type InvalidTokenError struct {
	Token AccessToken
	Field string // the JSON field that could not be read, e.g. "expiryDate"
	Err   error
}

// Error names the token's id and the field; it quotes at most a short
// excerpt of the value, and only when that is a number or a date.
func (e *InvalidTokenError) Error() string {
	return fmt.Sprintf("accesstokens: token %s: %s: %v", idText(e.Token.ID), e.Field, e.Err)
}

// Unwrap returns the decoding error.
func (e *InvalidTokenError) Unwrap() error { return e.Err }

// idText shows a token id in an error: as it is when it looks like one (a
// few digits), quoted and shortened otherwise, since it is server text.
func idText(id string) string {
	const maxID = 24
	digits := id != "" && len(id) <= maxID
	for i := 0; digits && i < len(id); i++ {
		digits = id[i] >= '0' && id[i] <= '9'
	}
	if digits {
		return id
	}
	if len(id) > maxID {
		return strconv.Quote(id[:maxID]) + "…"
	}
	return strconv.Quote(id)
}

// invalidTokensError is List's error for a page with several tokens that
// could not be read in full. errors.As finds the first *InvalidTokenError
// in it; InvalidTokens returns them all.
type invalidTokensError struct{ errs []*InvalidTokenError }

// maxNamedInvalid is how many tokens the message of an invalidTokensError
// names before it counts the rest.
const maxNamedInvalid = 3

func (e *invalidTokensError) Error() string {
	msg := fmt.Sprintf("accesstokens: %d tokens could not be read in full:", len(e.errs))
	for i, inv := range e.errs {
		if i == maxNamedInvalid {
			return msg + fmt.Sprintf(" and %d more", len(e.errs)-i)
		}
		if i > 0 {
			msg += ";"
		}
		msg += fmt.Sprintf(" token %s (%s)", idText(inv.Token.ID), inv.Field)
	}
	return msg
}

func (e *invalidTokensError) Unwrap() []error {
	out := make([]error, len(e.errs))
	for i, inv := range e.errs {
		out[i] = inv
	}
	return out
}

// errorOfInvalid is the error for a page's unreadable tokens: nil for none,
// the *InvalidTokenError itself for one.
func errorOfInvalid(errs []*InvalidTokenError) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return &invalidTokensError{errs: errs}
}

// InvalidTokens returns every *InvalidTokenError in err's tree, in order:
// the tokens of a List page (or a decoded Page) that could not be read in
// full. It returns nil when there is none.
func InvalidTokens(err error) []*InvalidTokenError {
	var out []*InvalidTokenError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *InvalidTokenError:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

// tokenJSON is a token as Bitbucket's JSON has it. AccessToken's and
// RawAccessToken's JSON methods and the client all read tokens through it.
type tokenJSON struct {
	ID                string       `json:"id"`
	Name              string       `json:"name"`
	CreatedDate       wireDate     `json:"createdDate"`
	ExpiryDate        wireDate     `json:"expiryDate"`
	LastAuthenticated wireDate     `json:"lastAuthenticated"`
	Permissions       []Permission `json:"permissions"`
	User              *User        `json:"user"`
	Token             Secret       `json:"token"`
}

// check is the client's test that an answer is a token: it has an id, and
// every date could be read (else the *InvalidTokenError).
func (t *tokenJSON) check() error {
	if t.ID == "" {
		return errors.New(`no "id" in the token`)
	}
	if inv := t.invalid(); inv != nil {
		return inv
	}
	return nil
}

// convert returns the token without its secret, its unreadable dates left
// nil or zero.
func (t *tokenJSON) convert() AccessToken {
	return AccessToken{
		ID:                t.ID,
		Name:              t.Name,
		CreatedDate:       t.CreatedDate.t,
		ExpiryDate:        t.ExpiryDate.ptr(),
		LastAuthenticated: t.LastAuthenticated.ptr(),
		Permissions:       t.Permissions,
		User:              t.User,
	}
}

// invalid says which dates could not be read: nil when all could.
func (t *tokenJSON) invalid() *InvalidTokenError {
	var inv *InvalidTokenError
	for _, d := range [...]struct {
		field string
		err   error
	}{
		{"createdDate", t.CreatedDate.err},
		{"expiryDate", t.ExpiryDate.err},
		{"lastAuthenticated", t.LastAuthenticated.err},
	} {
		switch {
		case d.err == nil:
		case inv == nil:
			inv = &InvalidTokenError{Token: t.convert(), Field: d.field, Err: d.err}
		default:
			inv.Err = fmt.Errorf("%w; %s: %w", inv.Err, d.field, d.err)
		}
	}
	return inv
}

// wireDate is a token's date that keeps its decoding error instead of
// failing the whole token: the other fields, and the other tokens of a
// page, are still read.
type wireDate struct {
	jsonTime
	err error
}

func (d *wireDate) UnmarshalJSON(b []byte) error {
	d.err = d.jsonTime.UnmarshalJSON(b)
	return nil
}

// tokenOut is a token written in Bitbucket's JSON: dates in epoch
// milliseconds, absent dates left out.
type tokenOut struct {
	ID                string       `json:"id"`
	Name              string       `json:"name"`
	CreatedDate       *int64       `json:"createdDate,omitempty"`
	ExpiryDate        *int64       `json:"expiryDate,omitempty"`
	LastAuthenticated *int64       `json:"lastAuthenticated,omitempty"`
	Permissions       []Permission `json:"permissions"`
	User              *User        `json:"user,omitempty"`
	Token             Secret       `json:"token,omitzero"` // MarshalJSON writes only the redaction marker
}

func newTokenOut(t *AccessToken) tokenOut {
	perms := t.Permissions
	if perms == nil {
		perms = []Permission{} // Bitbucket always sends the list
	}
	return tokenOut{
		ID:                t.ID,
		Name:              t.Name,
		CreatedDate:       epochMillis(t.CreatedDate),
		ExpiryDate:        epochMillisPtr(t.ExpiryDate),
		LastAuthenticated: epochMillisPtr(t.LastAuthenticated),
		Permissions:       perms,
		User:              t.User,
	}
}

// epochMillis is t in epoch milliseconds, nil for the zero time.
func epochMillis(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}

func epochMillisPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	return epochMillis(*t)
}

// MarshalJSON writes the token as Bitbucket does: dates in epoch
// milliseconds, expiryDate and lastAuthenticated left out when nil.
func (t AccessToken) MarshalJSON() ([]byte, error) { return json.Marshal(newTokenOut(&t)) }

// UnmarshalJSON reads a token as Bitbucket sends it: dates in epoch
// milliseconds or ISO-8601, absent or null fields left zero, the id kept as
// the string it is (leading zeros included). A date that cannot be read is
// an *InvalidTokenError; the token is then filled in as far as it was read.
// JSON null leaves the token unchanged.
func (t *AccessToken) UnmarshalJSON(b []byte) error {
	return decodeToken(b, func(w *tokenJSON) { *t = w.convert() })
}

// decodeToken reads a token's JSON and hands what it read to set; JSON
// null sets nothing. A date that could not be read is the
// *InvalidTokenError it returns, after set.
func decodeToken(b []byte, set func(*tokenJSON)) error {
	if string(b) == "null" {
		return nil
	}
	var w tokenJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	set(&w)
	if inv := w.invalid(); inv != nil {
		return inv
	}
	return nil
}

// MarshalJSON writes the token as AccessToken does, with "token" holding
// Secret's redaction marker, never the secret.
func (r RawAccessToken) MarshalJSON() ([]byte, error) {
	out := newTokenOut(&r.AccessToken)
	out.Token = r.Token
	return json.Marshal(out)
}

// UnmarshalJSON reads a create answer: the token as AccessToken reads it,
// and the secret from "token".
func (r *RawAccessToken) UnmarshalJSON(b []byte) error {
	return decodeToken(b, func(w *tokenJSON) { *r = RawAccessToken{AccessToken: w.convert(), Token: w.Token} })
}

// The request bodies of create and update.

type createBody struct {
	Name        string       `json:"name"`
	Permissions []Permission `json:"permissions"`
	ExpiryDays  int          `json:"expiryDays,omitempty"`
}

type updateBody struct {
	Name        *string      `json:"name,omitempty"`
	Permissions []Permission `json:"permissions,omitempty"`
}

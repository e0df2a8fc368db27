package accesstokens_test

import (
	"bytes"
	"context"
	"encoding"
	"encoding/base64"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// secretValue is distinctive enough that any leak shows up in a substring search.
const secretValue = "BBDC-s3cr3t-Zq9xW7vK"

// leakForms are the ways a secret could appear in output: verbatim, in hex
// (as %x would print it), in base64 (as []byte fields encode) and split by fmt's
// quoting of bytes.
var leakForms = []string{
	secretValue,
	hex.EncodeToString([]byte(secretValue)),
	fmt.Sprintf("% x", []byte(secretValue)),
	base64.StdEncoding.EncodeToString([]byte(secretValue)),
	"s3cr3t-Zq9xW7vK",
}

func assertNoLeak(t *testing.T, out string, secrets ...string) {
	t.Helper()
	forms := leakForms
	for _, s := range secrets {
		forms = append(forms, s, hex.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(s)))
	}
	for _, f := range forms {
		assert.NotContains(t, out, f, "output leaks a secret: %s", out)
		assert.NotContains(t, out, bytesToUpperHex(f), "output leaks a secret: %s", out)
	}
}

func bytesToUpperHex(s string) string {
	return fmt.Sprintf("%X", []byte(s))
}

func sampleRaw() accesstokens.RawAccessToken {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	return accesstokens.RawAccessToken{
		AccessToken: accesstokens.AccessToken{
			ID: "075905477751", Name: "ci deploy", CreatedDate: time.Date(2023, 1, 6, 0, 0, 0, 0, time.UTC),
			ExpiryDate: &exp, Permissions: []accesstokens.Permission{accesstokens.RepoRead},
			User: &accesstokens.User{ID: 1, Name: "alice", Slug: "alice", Type: "NORMAL"},
		},
		Token: accesstokens.NewSecret(secretValue),
	}
}

// renderers are every way of turning a value into text or bytes that a
// program is likely to use.
// renderer turns a value into text or bytes.
type renderer struct {
	name   string
	render func(t *testing.T, v any) string
	nested bool // the value sits inside a container, where fmt prints a pointer as an address
}

func renderers() []renderer {
	verb := func(format string) func(*testing.T, any) string {
		return func(_ *testing.T, v any) string { return fmt.Sprintf(format, v) }
	}
	logWith := func(newHandler func(*bytes.Buffer) slog.Handler, asAttr bool) func(*testing.T, any) string {
		return func(_ *testing.T, v any) string {
			var buf bytes.Buffer
			logger := slog.New(newHandler(&buf))
			if asAttr {
				logger.LogAttrs(context.Background(), slog.LevelInfo, "created", slog.Any("token", v))
			} else {
				logger.Info("created", "token", v, "group", slog.GroupValue(slog.Any("inner", v)))
			}
			return buf.String()
		}
	}
	jsonHandler := func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }
	textHandler := func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }
	return []renderer{
		{"%v", verb("%v"), false},
		{"%+v", verb("%+v"), false},
		{"%#v", verb("%#v"), false},
		{"%s", verb("%s"), false},
		{"%q", verb("%q"), false},
		{"%x", verb("%x"), false},
		{"%X", verb("%X"), false},
		{"%d", verb("%d"), false},
		{"%t", verb("%t"), false},
		{"%10.3s", verb("%10.3s"), false},
		{"%T %v in a slice", func(_ *testing.T, v any) string { return fmt.Sprintf("%T %v", v, []any{v}) }, true},
		{"map value", func(_ *testing.T, v any) string { return fmt.Sprintf("%v", map[string]any{"k": v}) }, true},
		{"Sprint", func(_ *testing.T, v any) string { return fmt.Sprint(v) }, false},
		{"Sprintln", func(_ *testing.T, v any) string { return fmt.Sprintln("token:", v) }, false},
		{"wrapped error", func(_ *testing.T, v any) string {
			return fmt.Errorf("creating: %w: %v", errors.New("boom"), v).Error()
		}, false},
		{"slog JSON handler", logWith(jsonHandler, false), false},
		{"slog JSON handler attr", logWith(jsonHandler, true), false},
		{"slog text handler", logWith(textHandler, false), false},
		{"slog text handler attr", logWith(textHandler, true), false},
		{"json.Marshal", func(t *testing.T, v any) string {
			b, err := json.Marshal(v)
			require.NoError(t, err)
			return string(b)
		}, false},
		{"json.MarshalIndent in a wrapper", func(t *testing.T, v any) string {
			b, err := json.MarshalIndent(struct{ V any }{v}, "", "  ")
			require.NoError(t, err)
			return string(b)
		}, false},
		{"xml.Marshal", func(t *testing.T, v any) string {
			b, err := xml.Marshal(struct {
				XMLName xml.Name `xml:"t"`
				V       any
			}{V: v})
			require.NoError(t, err)
			return string(b)
		}, false},
		{"gob", func(t *testing.T, v any) string {
			var buf bytes.Buffer
			require.NoError(t, gob.NewEncoder(&buf).Encode(v))
			return buf.String()
		}, false},
	}
}

// TestSecretNeverPrintsItsValue runs every renderer over a Secret, a
// RawAccessToken and a *RawAccessToken.
func TestSecretNeverPrintsItsValue(t *testing.T) {
	t.Parallel()
	raw := sampleRaw()
	values := []struct {
		name string
		v    any
	}{
		{"Secret", accesstokens.NewSecret(secretValue)},
		{"*Secret", ptrTo(accesstokens.NewSecret(secretValue))},
		{"RawAccessToken", raw},
		{"*RawAccessToken", &raw},
	}
	for _, val := range values {
		for _, r := range renderers() {
			t.Run(val.name+"/"+r.name, func(t *testing.T) {
				t.Parallel()
				out := r.render(t, val.v)
				assertNoLeak(t, out)
				_, isPtr := val.v.(*accesstokens.RawAccessToken)
				if !(isPtr && r.nested) {
					assert.Contains(t, out, "[REDACTED]", "the value is replaced by the marker")
				}
			})
		}
	}
	// The secret is still there for the one place that must use it.
	assert.Equal(t, secretValue, raw.Token.Reveal())
	assert.Equal(t, secretValue, (&raw).Token.Reveal())
}

func ptrTo[T any](v T) *T { return &v }

func TestSecretMethodsRedact(t *testing.T) {
	t.Parallel()
	s := accesstokens.NewSecret(secretValue)
	assert.Equal(t, "[REDACTED]", s.String())
	assert.Equal(t, "[REDACTED]", s.GoString())
	assert.Equal(t, slog.KindString, s.LogValue().Kind())
	assert.Equal(t, "[REDACTED]", s.LogValue().String())

	var _ fmt.Stringer = s
	var _ fmt.GoStringer = s
	var _ slog.LogValuer = s
	var _ json.Marshaler = s
	var _ encoding.TextMarshaler = s

	text, err := s.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "[REDACTED]", string(text))
	j, err := s.MarshalJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `"[REDACTED]"`, string(j))

	// A map keyed by Secret: json asks a key that is not a string for
	// MarshalText (a string-kinded Secret used to be written as is).
	keyed, err := json.Marshal(map[accesstokens.Secret]int{s: 1})
	require.NoError(t, err)
	assert.JSONEq(t, `{"[REDACTED]":1}`, string(keyed))

	assert.Equal(t, secretValue, s.Reveal())
	assert.Equal(t, "", accesstokens.NewSecret("").Reveal())
}

// TestCreatedTokenPrintsWithoutItsSecret goes through the wire: the value
// decoded from a real create answer is safe to print and log.
func TestCreatedTokenPrintsWithoutItsSecret(t *testing.T) {
	t.Parallel()
	const fromFixture = "BBDC-NzU5MDU0Nzc3NTE6c2VjcmV0LXZhbHVlLWZvci10ZXN0cw"
	ts, c := newTestServer(t)
	ts.on("PUT", "/users/alice", respond(t, 200, "token_created.json"))
	raw, err := c.UserTokens.Create(testContext(t), "alice", accesstokens.CreateTokenRequest{
		Name: "Demo 3", Permissions: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoRead},
	})
	require.NoError(t, err)
	require.Equal(t, fromFixture, raw.Token.Reveal())
	for _, r := range renderers() {
		out := r.render(t, raw)
		assertNoLeak(t, out, fromFixture)
		out = r.render(t, *raw)
		assertNoLeak(t, out, fromFixture)
	}
}

// TestClientPrintsWithoutCredentials prints a Client every way fmt and slog
// can and checks neither a Bearer token nor a Basic password appears.
func TestClientPrintsWithoutCredentials(t *testing.T) {
	t.Parallel()
	const token, password = "bearer-Xy7Qp0Lm", "basic-Pw9Rt4Kd"
	withToken, err := accesstokens.NewClient("https://git.example.com/bitbucket", accesstokens.WithToken(token))
	require.NoError(t, err)
	withBasic, err := accesstokens.NewClient("https://git.example.com/bitbucket", accesstokens.WithBasicAuth("alice", password))
	require.NoError(t, err)
	secrets := []string{token, password, base64.StdEncoding.EncodeToString([]byte("alice:" + password))}
	for _, c := range []*accesstokens.Client{withToken, withBasic} {
		for _, v := range []any{c, *c} {
			for _, r := range renderers() {
				if r.name == "gob" || r.name == "xml.Marshal" {
					continue // a Client has no exported data to encode
				}
				t.Run(fmt.Sprintf("%T/%s", v, r.name), func(t *testing.T) {
					t.Parallel()
					assertNoLeak(t, r.render(t, v), secrets...)
				})
			}
		}
	}
}

// TestCredentialsEchoedByAServerAreBlankedFromErrors: a proxy that echoes
// request headers into its error page must not put the client's token or
// password into an error string.
func TestCredentialsEchoedByAServerAreBlankedFromErrors(t *testing.T) {
	t.Parallel()
	const token = "BBDC-echoed-bearer-token-0123456789"
	const user, password = "alice", "correct-horse-battery"
	basicBlob := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	clients := []struct {
		name    string
		opt     accesstokens.Option
		secrets []string
	}{
		{"bearer", accesstokens.WithToken(token), []string{token}},
		{"basic", accesstokens.WithBasicAuth(user, password), []string{password, basicBlob}},
	}
	bodies := []struct {
		name, contentType string
		body              func(auth string) string
	}{
		{"html", "text/html", func(auth string) string {
			return "<html><body><p>Bad request. Headers: Authorization: " + auth + "</p></body></html>"
		}},
		{"bitbucket json", "application/json", func(auth string) string {
			return `{"errors":[{"context":"` + auth + `","message":"rejected ` + auth + `","exceptionName":"x"}]}`
		}},
	}
	for _, cl := range clients {
		for _, b := range bodies {
			t.Run(cl.name+"/"+b.name, func(t *testing.T) {
				t.Parallel()
				ts, c := newTestServer(t, cl.opt)
				ts.on(http.MethodGet, "/projects/PRJ/1", func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", b.contentType)
					w.WriteHeader(http.StatusBadRequest)
					_, _ = io.WriteString(w, b.body(r.Header.Get("Authorization")))
				})
				_, err := c.ProjectTokens.Get(testContext(t), "PRJ", "1")
				var apiErr *accesstokens.Error
				require.ErrorAs(t, err, &apiErr)
				shown := err.Error() + fmt.Sprintf("%+v %#v", err, apiErr)
				for _, secret := range cl.secrets {
					assert.NotContains(t, shown, secret)
				}
				assert.Contains(t, shown, "[REDACTED]", "the echo is visible as redacted")
			})
		}
	}
}

func TestSecretNewSecretMaskedAndIsZero(t *testing.T) {
	t.Parallel()
	var zero accesstokens.Secret
	assert.True(t, zero.IsZero())
	assert.Equal(t, "", zero.Reveal())
	assert.Equal(t, "", zero.Masked())
	assert.Equal(t, "[REDACTED]", zero.String(), "even the zero Secret prints the marker")
	assert.True(t, accesstokens.NewSecret("").IsZero())
	assert.False(t, accesstokens.NewSecret("x").IsZero())

	cases := []struct{ value, masked string }{
		{"BBDC-abcdefghijklmnopqrstuvwxyz", "BBDC-…wxyz"},
		{"BBDC-NzU5MDU0Nzc3NTE6c2VjcmV0LXZhbHVlLWZvci10ZXN0cw", "BBDC-…N0cw"},
		{"abcdefghijklmnopqrstuvwxyz", "…wxyz"},
		{"0123456789abcdef", "…cdef"}, // 16 characters: 12 stay hidden
		{"0123456789abcde", "…"},      // 15: too short to show any
		{"BBDC-short", "BBDC-…"},
		{"a", "…"},
		{"ÄÖÜäöüßÄÖÜäöüßÄÖÜ", "…ßÄÖÜ"}, // whole characters, not bytes
	}
	for _, tc := range cases {
		s := accesstokens.NewSecret(tc.value)
		assert.Equal(t, tc.value, s.Reveal())
		assert.Equal(t, tc.masked, s.Masked(), tc.value)
		assert.LessOrEqual(t, utf8.RuneCountInString(strings.TrimPrefix(strings.TrimPrefix(s.Masked(), "BBDC-"), "…")), 4)
	}
}

func TestSecretDecodesFromTheCreateAnswerAndRefusesNonStrings(t *testing.T) {
	t.Parallel()
	var raw accesstokens.RawAccessToken
	require.NoError(t, json.Unmarshal([]byte(`{"id":"1","token":"`+secretValue+`"}`), &raw))
	assert.Equal(t, secretValue, raw.Token.Reveal())

	var s accesstokens.Secret
	require.NoError(t, json.Unmarshal([]byte(`"BBDC-a\/b\u0041é"`), &s), "escapes are decoded")
	assert.Equal(t, "BBDC-a/bAé", s.Reveal())
	var null accesstokens.Secret
	require.NoError(t, json.Unmarshal([]byte(`null`), &null))
	assert.True(t, null.IsZero())
	for _, bad := range []string{`12345678901234567890`, `{"v":"` + secretValue + `"}`, `["` + secretValue + `"]`} {
		err := json.Unmarshal([]byte(bad), &s)
		require.Error(t, err, bad)
		assertNoLeak(t, err.Error())
	}
}

func ExampleSecret_Masked() {
	s := accesstokens.NewSecret("BBDC-NzU5MDU0Nzc3NTE6c2VjcmV0LXZhbHVlLWZvci10ZXN0cw")
	fmt.Println("secret:", s.Masked())
	fmt.Println("empty:", accesstokens.Secret{}.IsZero())
	// Output:
	// secret: BBDC-…N0cw
	// empty: true
}

// TestEchoedCredentialsAreBlankedWhateverTheirEscaping: a proxy or server that
// echoes the request's credentials may escape them (JSON's \" and \u003c, any
// character as \uXXXX, HTML entities), and a password may be short. None of
// it reaches Error(), fmt's views of the error or Messages.
func TestEchoedCredentialsAreBlankedWhateverTheirEscaping(t *testing.T) {
	t.Parallel()
	const long, short = `pa"ss<word>&1234`, "hunt3r"
	allEscaped := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		return b.String()
	}
	goEscaped := func(s string) string {
		b, _ := json.Marshal(s)
		return string(b[1 : len(b)-1])
	}
	bodies := []struct {
		name, contentType string
		body              func(password string) string
	}{
		{"JSON escaped the Go way", "application/json", func(p string) string {
			return `{"errors":[{"message":"rejected password ` + goEscaped(p) + ` for alice"}]}`
		}},
		{"JSON escaped the Java way", "application/json", func(p string) string {
			return `{"errors":[{"message":"rejected password ` + strings.ReplaceAll(p, `"`, `\"`) + ` for alice"}]}`
		}},
		{"every character as \\uXXXX", "application/json", func(p string) string {
			return `{"errors":[{"context":"` + allEscaped(p) + `","message":"rejected password ` + allEscaped(p) + `","exceptionName":"` + allEscaped(p) + `"}]}`
		}},
		{"JSON that is not Bitbucket's envelope", "application/json", func(p string) string {
			return `{"status":"rejected","password":"` + allEscaped(p) + `"}`
		}},
		{"HTML entities", "text/html", func(p string) string {
			return "<html><body><p>Rejected password " + html.EscapeString(p) + " for alice</p></body></html>"
		}},
		{"plain text", "text/plain", func(p string) string { return "Rejected password " + p + " for alice." }},
	}
	for _, password := range []string{long, short} {
		for _, b := range bodies {
			t.Run(password+"/"+b.name, func(t *testing.T) {
				t.Parallel()
				ts, c := newTestServer(t, accesstokens.WithBasicAuth("alice", password))
				ts.on(http.MethodGet, "/projects/PRJ/1", func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", b.contentType)
					w.WriteHeader(http.StatusBadRequest)
					_, _ = io.WriteString(w, b.body(password))
				})
				_, err := c.ProjectTokens.Get(testContext(t), "PRJ", "1")
				var apiErr *accesstokens.Error
				require.ErrorAs(t, err, &apiErr)
				shown := err.Error() + fmt.Sprintf(" %+v %#v %v", err, apiErr, apiErr.Messages)
				for _, form := range []string{password, goEscaped(password), html.EscapeString(password), allEscaped(password)} {
					assert.NotContains(t, shown, form)
				}
				assert.Contains(t, shown, "[REDACTED]", "the echo is visible as redacted")
				assert.Contains(t, err.Error(), "ejected", "the rest of the text is kept")
			})
		}
	}
}

// TestShortCredentialsAreBlankedOnlyAsWholeWords: a short password would
// mangle ordinary words if blanked everywhere, so it is blanked where it
// stands alone.
func TestShortCredentialsAreBlankedOnlyAsWholeWords(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t, accesstokens.WithBasicAuth("bob", "cat"))
	ts.on(http.MethodGet, "/projects/PRJ/1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusBadRequest, []byte(`{"errors":[{"message":"cat: the category 'cat' concatenates; password=cat"}]}`))
	})
	_, err := c.ProjectTokens.Get(testContext(t), "PRJ", "1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "[REDACTED]: the category '[REDACTED]' concatenates; password=[REDACTED]")
}

package accesstokens_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"text/template"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// createdSecret is the secret in testdata/token_created.json.
const createdSecret = "BBDC-NzU5MDU0Nzc3NTE6c2VjcmV0LXZhbHVlLWZvci10ZXN0cw"

// createForPrinting creates a token through the wire, as a program gets one.
func createForPrinting(t *testing.T) *accesstokens.RawAccessToken {
	t.Helper()
	ts, c := newTestServer(t)
	ts.on("PUT", "/users/alice", respond(t, 200, "token_created.json"))
	raw, err := c.UserTokens.Create(testContext(t), "alice", accesstokens.CreateTokenRequest{
		Name: "Demo 3", Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
	})
	require.NoError(t, err)
	require.Equal(t, createdSecret, raw.Token.Reveal())
	return raw
}

// secretShapes are the containers a secret travels in: alone, in a token, in
// slices, arrays, maps (as value and key), pointers, and struct fields that
// fmt reaches only by reflection (unexported ones, where methods are not called).
func secretShapes(raw *accesstokens.RawAccessToken) map[string]any {
	s := raw.Token
	type hidden struct{ t accesstokens.Secret }
	type hiddenToken struct{ r accesstokens.RawAccessToken }
	type hiddenPtr struct{ r *accesstokens.RawAccessToken }
	return map[string]any{
		"Secret":                         s,
		"*Secret":                        &s,
		"RawAccessToken":                 *raw,
		"*RawAccessToken":                raw,
		"[]Secret":                       []accesstokens.Secret{s, s},
		"[1]Secret":                      [1]accesstokens.Secret{s},
		"[]*Secret":                      []*accesstokens.Secret{&s},
		"[]RawAccessToken":               []accesstokens.RawAccessToken{*raw},
		"[]*RawAccessToken":              []*accesstokens.RawAccessToken{raw},
		"[]any":                          []any{s, raw, *raw},
		"map value":                      map[string]accesstokens.Secret{"k": s},
		"map key":                        map[accesstokens.Secret]int{s: 1},
		"map of tokens":                  map[string]*accesstokens.RawAccessToken{"k": raw},
		"unexported Secret field":        hidden{s},
		"*unexported Secret field":       &hidden{s},
		"unexported token field":         hiddenToken{*raw},
		"unexported token pointer field": hiddenPtr{raw},
		"[]unexported Secret field":      []hidden{{s}},
		"anonymous struct":               struct{ t accesstokens.Secret }{s},
		"reflect.Value of a Secret":      reflect.ValueOf(s),
		"reflect.Value of a field":       reflect.ValueOf(hidden{s}).Field(0),
		"reflect.Value of a token":       reflect.ValueOf(*raw),
	}
}

// fmtFormats is every verb with the flags, widths and precisions fmt knows.
func fmtFormats() []string {
	verbs := "vsqxXdtpTefgcUbo"
	flags := []string{"", "+", "-", "#", " ", "0", "+#", "-#", "# "}
	sizes := []string{"", "20", ".3", "-30.60", "*"}
	var out []string
	for _, v := range verbs {
		for _, f := range flags {
			for _, sz := range sizes {
				if sz == "*" {
					continue // needs an argument of its own; see below
				}
				out = append(out, "%"+f+sz+string(v))
			}
		}
	}
	return append(out, "%O", "%w")
}

// TestACreatedTokenShowsNoSecretThroughAnyPath prints a token that came from a
// real create answer every way a program might: every fmt verb, flag and
// container shape (including the paths where fmt never calls Format: an
// unexported field, a bad verb, %p), slog, json (a map key too), xml, gob,
// text/template, html/template and reflect. The secret shows nowhere.
func TestACreatedTokenShowsNoSecretThroughAnyPath(t *testing.T) {
	t.Parallel()
	raw := createForPrinting(t)
	shapes := secretShapes(raw)
	var forms []string // the secret, a piece of it, and the encodings a leak could take
	for _, s := range []string{createdSecret, createdSecret[5:25]} {
		forms = append(forms, s, hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s))),
			base64.StdEncoding.EncodeToString([]byte(s)), fmt.Sprintf("% x", s))
	}
	leaks := func(t *testing.T, how, out string) {
		t.Helper()
		for _, f := range forms {
			if i := strings.Index(out, f); i >= 0 {
				t.Errorf("the secret shows through %s: …%s…", how, out[max(0, i-60):min(len(out), i+len(f)+10)])
				return
			}
		}
	}
	for name, v := range shapes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			for _, format := range fmtFormats() {
				fmt.Fprintf(&out, format+"\n", v)
				fmt.Fprintf(&out, "%[1]*[2]v %-[1]*[2]s\n", 30, v)
			}
			fmt.Fprint(&out, v, "\n", fmt.Sprintln(v), fmt.Errorf("wrapped: %v", v).Error())
			if rv, ok := v.(reflect.Value); ok {
				out.WriteString(rv.String())
			} else {
				out.WriteString(reflect.ValueOf(v).String())
			}
			leaks(t, "fmt", out.String())

			var logs bytes.Buffer
			for _, h := range []slog.Handler{slog.NewJSONHandler(&logs, nil), slog.NewTextHandler(&logs, nil)} {
				logger := slog.New(h)
				logger.Info("created", "token", v)
				logger.LogAttrs(context.Background(), slog.LevelInfo, "created", slog.Any("token", v),
					slog.Group("g", slog.Any("inner", v)))
			}
			leaks(t, "slog", logs.String())

			if _, isValue := v.(reflect.Value); !isValue {
				if b, err := json.Marshal(v); err == nil {
					leaks(t, "json", string(b))
				}
				if b, err := json.Marshal(struct{ V any }{v}); err == nil {
					leaks(t, "json in a struct", string(b))
				}
				if b, err := xml.Marshal(struct {
					XMLName xml.Name `xml:"t"`
					V       any
				}{V: v}); err == nil {
					leaks(t, "xml", string(b))
				}
				var g bytes.Buffer
				if err := gob.NewEncoder(&g).Encode(v); err == nil {
					leaks(t, "gob", g.String())
				}
				// (text/template panics on a reflect.Value from an unexported field.)
				for _, text := range []string{`{{.}}`, `{{printf "%x %q %#v %p" . . . .}}`, `{{js .}} {{html .}} {{urlquery .}} {{print .}}`} {
					var b bytes.Buffer
					if err := template.Must(template.New("t").Parse(text)).Execute(&b, v); err == nil {
						leaks(t, "text/template "+text, b.String())
					}
					b.Reset()
					if err := htmltemplate.Must(htmltemplate.New("t").Parse(text)).Execute(&b, v); err == nil {
						leaks(t, "html/template "+text, b.String())
					}
				}
			}
		})
	}
	t.Run("template field access", func(t *testing.T) {
		t.Parallel()
		var b bytes.Buffer
		require.NoError(t, template.Must(template.New("t").Parse(`{{.Token}} {{printf "%s|%x|%v" .Token .Token .Token}}`)).Execute(&b, raw))
		leaks(t, "text/template field", b.String())
	})
	t.Run("no conversion to a string", func(t *testing.T) {
		t.Parallel()
		typ := reflect.TypeOf(raw.Token)
		assert.False(t, typ.ConvertibleTo(reflect.TypeOf("")), "string(s) must not compile")
		assert.False(t, typ.ConvertibleTo(reflect.TypeOf([]byte(nil))), "[]byte(s) must not compile")
		assert.Equal(t, reflect.Struct, typ.Kind())
	})
}

// failureLog is a testify TestingT that keeps the failure messages.
type failureLog struct{ strings.Builder }

func (f *failureLog) Errorf(format string, args ...any) { fmt.Fprintf(f, format, args...) }

// TestReflectionDumpersShowNoSecret: testify's failure diffs dump values with
// go-spew, which walks struct fields and pointers by reflection without
// calling any method. A downstream test comparing two created tokens must not
// print either secret into its CI log when it fails.
func TestReflectionDumpersShowNoSecret(t *testing.T) {
	t.Parallel()
	raw := createForPrinting(t)
	other := *raw
	other.ID, other.Token = "2", accesstokens.NewSecret("BBDC-another-secret-value-for-the-diff")
	var log failureLog
	assert.Equal(&log, raw.Token, other.Token)
	assert.Equal(&log, *raw, other)
	assert.Equal(&log, raw, &other)
	assert.Equal(&log, []accesstokens.Secret{raw.Token}, []accesstokens.Secret{other.Token})
	assert.ElementsMatch(&log, []accesstokens.RawAccessToken{*raw}, []accesstokens.RawAccessToken{other})
	assert.Equal(&log, map[string]accesstokens.Secret{"k": raw.Token}, map[string]accesstokens.Secret{"k": other.Token})
	out := log.String()
	require.Contains(t, out, "Diff:", "the assertions above failed and printed their diffs")
	for _, secret := range []string{createdSecret, other.Token.Reveal()} {
		for _, piece := range []string{secret, secret[5:25], hex.EncodeToString([]byte(secret[5:25]))} {
			if strings.Contains(out, piece) {
				t.Errorf("testify's failure diff shows a secret (%d bytes of it)", len(piece))
			}
		}
	}

	// Equal values still compare equal, so that downstream tests can
	// compare tokens whole; different values do not.
	assert.Equal(t, accesstokens.NewSecret(createdSecret), raw.Token)
	assert.Equal(t, *raw, accesstokens.RawAccessToken{AccessToken: raw.AccessToken, Token: accesstokens.NewSecret(createdSecret)})
	assert.NotEqual(t, raw.Token, other.Token)
}

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
	htmltemplate "html/template"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// Secret-leak tests, all in one place: a token's secret and the client's
// own credentials never show through fmt (any verb), logs, JSON, error
// strings, reflection dumpers, panics or net/http's own printing, whatever
// a server sends back.

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

func TestLogsNeverShowCredentialsSecretsQueriesOrBodies(t *testing.T) {
	t.Parallel()
	const (
		bearer       = "BBDC-bearer-value-never-logged"
		basicUser    = "alice"
		basicPass    = "basic-password-never-logged"
		reqMarker    = "request-body-marker"
		errMarker    = "error-body-marker"
		headerMarker = "header-marker"
	)
	secret := string(fixture(t, "token_created.json"))
	secret = secret[strings.Index(secret, `"token":"`)+len(`"token":"`):]
	secret = secret[:strings.IndexByte(secret, '"')]
	require.NotEmpty(t, secret)

	var buf syncBuffer
	logger := jsonLogger(&buf)
	ts, bearerClient := newTestServer(t, accesstokens.WithToken(bearer),
		accesstokens.WithRetry(quickRetry), accesstokens.WithLogger(logger))
	basicClient, err := accesstokens.NewClient(ts.URL, accesstokens.WithBasicAuth(basicUser, basicPass),
		accesstokens.WithRetry(quickRetry), accesstokens.WithLogger(logger))
	require.NoError(t, err)

	ts.on(http.MethodGet, "/projects/PRJ", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "limit=7", r.URL.RawQuery)
		w.Header().Set("X-Echo", headerMarker)
		writeJSON(w, http.StatusOK, fixture(t, "page_last.json"))
	})
	ts.on(http.MethodPut, "/projects/PRJ", failThenServe(respond(t, http.StatusOK, "token_created.json"),
		attemptFault{status: 503}))
	failing := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", headerMarker)
		writeJSON(w, http.StatusServiceUnavailable, []byte(`{"errors":[{"message":"`+errMarker+`"}]}`))
	}
	ts.on(http.MethodPost, "/projects/PRJ/"+retryTokenID, failing)
	ts.on(http.MethodGet, "/users/alice/"+retryTokenID, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusUnauthorized, []byte(`{"errors":[{"message":"`+errMarker+`"}]}`))
	})

	ctx := testContext(t)
	for _, c := range []*accesstokens.Client{bearerClient, basicClient} {
		_, err := c.ProjectTokens.List(ctx, "PRJ", &accesstokens.ListOptions{Limit: 7})
		require.NoError(t, err)
		created, err := c.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{
			Name: reqMarker, Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
		})
		require.NoError(t, err)
		require.Equal(t, secret, created.Token.Reveal())
		name := reqMarker
		_, err = c.ProjectTokens.Update(ctx, "PRJ", retryTokenID, accesstokens.UpdateTokenRequest{Name: &name})
		require.ErrorIs(t, err, accesstokens.ErrServer)
		_, err = c.UserTokens.Get(ctx, "alice", retryTokenID)
		require.ErrorIs(t, err, accesstokens.ErrUnauthorized)
	}

	logs := buf.String()
	require.NotEmpty(t, logs)
	basicB64 := base64.StdEncoding.EncodeToString([]byte(basicUser + ":" + basicPass))
	for _, leak := range []string{bearer, basicPass, basicB64, secret, "limit=", "?", reqMarker, errMarker,
		headerMarker, "Authorization", "Bearer", "Basic", "Demo 3", `"errors"`} {
		assert.NotContains(t, logs, leak)
	}
}

// Not parallel: it takes over the process's stdout, stderr and default loggers.
func TestACreateAnswerLongerThanItsContentLengthPrintsNothing(t *testing.T) {
	body := fixture(t, "token_created.json")
	require.Contains(t, string(body[20:]), createdSecret)
	for _, withLogger := range []bool{false, true} {
		t.Run(fmt.Sprintf("logger=%v", withLogger), func(t *testing.T) {
			closed := make(chan struct{}, 1)
			var logs syncBuffer
			opts := []accesstokens.Option{accesstokens.WithBasicAuth("alice", "alice"), accesstokens.WithRetry(accesstokens.RetryPolicy{})}
			if withLogger {
				opts = append(opts, accesstokens.WithLogger(jsonLogger(&logs)))
			}
			c, err := accesstokens.NewClient(shortContentLength(t, body, closed), opts...)
			require.NoError(t, err)

			var created *accesstokens.RawAccessToken
			out := captureProcessOutput(t, func() {
				created, err = c.ProjectTokens.Create(testContext(t), "PRJ", accesstokens.CreateTokenRequest{
					Name: "ci", Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
				})
				select {
				case <-closed:
				case <-time.After(15 * time.Second): // a hang guard only
					t.Error("the server never saw the connection close")
				}
			})

			require.Error(t, err, "20 bytes of a token are not a token")
			assert.Nil(t, created)
			assertNoLeak(t, out+logs.String()+err.Error(), createdSecret)
			assert.NotContains(t, out, "Unsolicited response")
		})
	}
}

// shortContentLength answers every request with a create answer whose
// Content-Length stops before the secret, then waits for the client to close
// the connection (10 s at most) and reports on closed. net/http logs bytes it
// finds after a body on an idle connection, as they come, before it closes
// the connection: once closed is reported, anything it would print is printed.
func shortContentLength(t *testing.T, body []byte, closed chan<- struct{}) string {
	return newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer func() { closed <- struct{}{} }()
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", 20, body)
		_ = buf.Flush()
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.Copy(io.Discard, conn)
	}))
}

// TestNoPartOfACreateAnswerIsEverQuoted: however the answer is wrapped (a
// byte-order mark, an anti-XSSI prefix, HTML around it), an error about a
// create's answer quotes none of it, since it may hold the new secret.
func TestNoPartOfACreateAnswerIsEverQuoted(t *testing.T) {
	t.Parallel()
	const secret = "BBDC-NEWSECRETvalue-0123456789"
	token := `{"id":"000000000001","name":"ci","createdDate":1,"permissions":["PROJECT_READ"],"token":"` + secret + `"}`
	for name, body := range map[string]string{
		"byte-order mark": "\ufeff" + token,
		"XSSI prefix":     ")]}'\n" + token,
		"HTML around it":  "<html><body><pre>" + token + "</pre></body></html>",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(http.MethodPut, "/projects/PRJ", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				_, _ = io.WriteString(w, body)
			})
			_, err := c.ProjectTokens.Create(testContext(t), "PRJ", accesstokens.CreateTokenRequest{
				Name: "ci", Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
			})
			require.Error(t, err)
			assert.NotContains(t, fmt.Sprintf("%v %+v", err, err), secret)
		})
	}
}

// TestCredentialsEchoedInASuccessPageAreBlanked: a 200 HTML page that echoes
// request headers is quoted in the error, without the client's credentials.
func TestCredentialsEchoedInASuccessPageAreBlanked(t *testing.T) {
	t.Parallel()
	const token = "BBDC-TOPSECRET-bearer-0123456789"
	ts, c := newTestServer(t, accesstokens.WithToken(token))
	ts.on(http.MethodGet, "/projects/PRJ/1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html><body>Your headers: Authorization: "+r.Header.Get("Authorization")+"</body></html>")
	})
	_, err := c.ProjectTokens.Get(testContext(t), "PRJ", "1")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), token)
	assert.Contains(t, err.Error(), "Your headers", "the page is still quoted, to help")
}

// TestCredentialsEchoedAnywhereInASuccessAnswerAreBlanked: a 2xx answer
// that is not what the call expects is quoted in the error in other places
// than its body: its Content-Type, and a bad date's value. A server or proxy
// echoing the request's headers there must not put the credential into it.
func TestCredentialsEchoedAnywhereInASuccessAnswerAreBlanked(t *testing.T) {
	t.Parallel()
	const token = "BBDC-TOPSECRET-bearer-0123456789"
	answers := map[string]http.HandlerFunc{
		"content type": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; echo="+r.Header.Get("Authorization"))
			_, _ = io.WriteString(w, "ok")
		},
		"date": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, []byte(`{"id":"1","name":"x","createdDate":"`+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+`"}`))
		},
		"no content, content type": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; echo="+r.Header.Get("Authorization"))
			_, _ = io.WriteString(w, "deleted")
		},
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t, accesstokens.WithToken(token))
			ts.on(http.MethodGet, "/projects/PRJ/1", answer)
			ts.on(http.MethodDelete, "/projects/PRJ/1", answer)
			var err error
			if strings.HasPrefix(name, "no content") {
				err = c.ProjectTokens.Delete(testContext(t), "PRJ", "1")
			} else {
				_, err = c.ProjectTokens.Get(testContext(t), "PRJ", "1")
			}
			require.Error(t, err)
			assert.NotContains(t, err.Error(), token[5:20])
		})
	}
}

// TestAMislabelledCreateAnswerDoesNotLeakItsSecretIntoTheError: a create
// whose answer holds the secret but comes with a wrong content type is an
// error, and that error quotes nothing of the body; an HTML page still is.
func TestAMislabelledCreateAnswerDoesNotLeakItsSecretIntoTheError(t *testing.T) {
	t.Parallel()
	const secret = "BBDC-NzU5MDU0Nzc3NTE6c2VjcmV0LXZhbHVlLWZvci10ZXN0cw"
	body := fixture(t, "token_created.json")
	require.Contains(t, string(body), secret)
	for _, contentType := range []string{"text/plain", "text/html; charset=utf-8", "application/octet-stream"} {
		ts, c := newTestServer(t)
		ts.on(http.MethodPut, "/projects/PRJ", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			_, _ = w.Write(body)
		})
		raw, err := c.ProjectTokens.Create(testContext(t), "PRJ", accesstokens.CreateTokenRequest{
			Name: "ci", Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
		})
		require.Error(t, err, contentType)
		assert.Nil(t, raw)
		for _, shown := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			assert.NotContains(t, shown, secret, contentType)
			assert.NotContains(t, shown, "786587856882", "no part of the body is quoted (%s)", contentType)
		}
		assert.Contains(t, err.Error(), contentType)
	}

	ts, c := newTestServer(t)
	ts.on(http.MethodGet, "/projects/PRJ/1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body><h1>Please log in</h1></body></html>"))
	})
	_, err := c.ProjectTokens.Get(testContext(t), "PRJ", "1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Please log in", "a page that is not JSON is still quoted, to help")
}

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

func ptrTo[T any](v T) *T { return &v }

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

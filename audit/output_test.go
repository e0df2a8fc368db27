package audit

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reportTokens are two classified tokens: one with every date (and a
// non-UTC zone and milliseconds), one with none of the optional ones.
func reportTokens() []Token {
	paris := time.FixedZone("CET", 3600)
	full := accesstokens.AccessToken{
		ID: "075905477751", Name: `deploy "prod"`,
		CreatedDate:       time.Date(2026, 1, 2, 4, 5, 6, 0, paris),
		ExpiryDate:        at(-time.Hour),
		LastAuthenticated: ptr(time.Date(2025, 11, 1, 0, 0, 0, 123_000_000, time.UTC)),
		Permissions:       []accesstokens.Permission{accesstokens.ProjectAdmin, accesstokens.RepoWrite},
		User:              &accesstokens.User{Slug: "access-token-user/1/1", Type: "SERVICE"},
	}
	bare := accesstokens.AccessToken{
		ID: "000000000002", Name: "ci", CreatedDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	return []Token{Classify(projectSc, full, true, rules), Classify(userSc, bare, false, rules)}
}

func ptr[T any](v T) *T { return &v }

const fullTokenJSON = `{"scope":"project:PRJ","id":"075905477751","name":"deploy \"prod\"",` +
	`"createdDate":"2026-01-02T03:05:06Z","expiryDate":"2026-03-01T11:00:00Z",` +
	`"lastAuthenticated":"2025-11-01T00:00:00.123Z","permissions":["PROJECT_ADMIN","REPO_WRITE"],` +
	`"owner":"access-token-user/1/1","findings":["expired","unused","admin"],"daysLeft":-1}`

const bareTokenJSON = `{"scope":"user:alice","id":"000000000002","name":"ci",` +
	`"createdDate":"2026-01-01T00:00:00Z","expiryDate":null,"lastAuthenticated":null,` +
	`"permissions":[],"owner":null,"findings":["no-expiry","never-used","inactive-owner"],"daysLeft":null}`

func TestTokenJSON(t *testing.T) {
	t.Parallel()
	toks := reportTokens()
	got, err := json.Marshal(toks[0])
	require.NoError(t, err)
	assert.Equal(t, fullTokenJSON, string(got))
	got, err = json.Marshal(toks[1])
	require.NoError(t, err)
	assert.Equal(t, bareTokenJSON, string(got))
}

func TestTokenJSONHasExactlyTheContractKeys(t *testing.T) {
	t.Parallel()
	for _, tok := range reportTokens() {
		b, err := tok.MarshalJSON()
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		assert.ElementsMatch(t, []string{"scope", "id", "name", "createdDate", "expiryDate", "lastAuthenticated",
			"permissions", "owner", "findings", "daysLeft"}, keys)
	}
}

func TestJSONStringsEscapeLikeEncodingJSON(t *testing.T) {
	t.Parallel()
	samples := []string{"", "plain", `"quoted"`, `back\slash`, "tab\there", "new\nline", "\x00\x01\x1f\x7f",
		"<html>&amp;", "héllo wörld ✓ 🎉", "bad \xff utf8 \xc3", "line\u2028sep\u2029", "\r\n"}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, rnd.IntN(12))
		for i := range b {
			b[i] = byte(rnd.IntN(256))
		}
		samples = append(samples, string(b))
	}
	for _, s := range samples {
		got := appendJSONString(nil, s)
		require.True(t, json.Valid(got), "%q gives invalid JSON %s", s, got)
		var back, viaStd string
		require.NoError(t, json.Unmarshal(got, &back))
		std, _ := json.Marshal(s)
		require.NoError(t, json.Unmarshal(std, &viaStd))
		assert.Equal(t, viaStd, back, "%q reads back as encoding/json's encoding does", s)
	}
}

func TestScopeInJSONIsScopeString(t *testing.T) {
	t.Parallel()
	for _, sc := range []accesstokens.Scope{userSc, projectSc, repoSc, accesstokens.RepoScope("~ALICE", "a\"b"), {}, {UserSlug: "u", ProjectKey: "P"}} {
		got := appendScope(nil, &Token{Scope: sc})
		var s string
		require.NoError(t, json.Unmarshal(got, &s))
		assert.Equal(t, sc.String(), s)
	}
}

func testSummary() Summary {
	s := newSummary()
	s.Tokens, s.ScopesRead = 2, 5
	s.Findings[Expired], s.Findings[Unused], s.Findings[Admin] = 1, 1, 1
	s.Findings[NoExpiry], s.Findings[NeverUsed], s.Findings[InactiveOwner] = 1, 1, 1
	s.Failed = []ScopeFailure{{Scope: accesstokens.RepoScope("PRJ", "gone"), Err: errors.New(`404 "gone"`)}}
	return *s
}

var testMeta = Meta{GeneratedAt: time.Date(2026, 3, 1, 13, 0, 0, 0, time.FixedZone("CET", 3600)), ServerURL: "https://git.example.com", ServerVersion: "9.4.1"}

func writeReport(t *testing.T, format string, toks []Token, sum Summary, meta Meta) string {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(format, &out, meta)
	require.NoError(t, err)
	for _, tok := range toks {
		require.NoError(t, w.Write(tok))
	}
	require.NoError(t, w.Close(sum))
	assert.ErrorIs(t, w.Write(toks[0]), errClosed, "a closed writer refuses more")
	assert.ErrorIs(t, w.Close(sum), errClosed)
	return out.String()
}

const summaryJSON = `{"expired":1,"expiring":0,"no-expiry":1,"never-used":1,"unused":1,"admin":1,"inactive-owner":1,"tokens":2}`
const scopesJSON = `{"read":5,"failed":[{"scope":"repo:PRJ/gone","error":"404 \"gone\""}]}`

func TestJSONDocument(t *testing.T) {
	t.Parallel()
	got := writeReport(t, "json", reportTokens(), testSummary(), testMeta)
	want := "{\n" +
		`  "generatedAt": "2026-03-01T12:00:00Z",` + "\n" +
		`  "server": {"url": "https://git.example.com", "version": "9.4.1"},` + "\n" +
		`  "tokens": [` + "\n" +
		"    " + fullTokenJSON + ",\n" +
		"    " + bareTokenJSON + "\n" +
		"  ],\n" +
		`  "scopes": ` + scopesJSON + ",\n" +
		`  "summary": ` + summaryJSON + "\n" +
		"}\n"
	assert.Equal(t, want, got)

	var doc struct {
		GeneratedAt string
		Server      struct{ URL, Version string }
		Scopes      struct {
			Read   int
			Failed []struct{ Scope, Error string }
		}
		Tokens  []map[string]any
		Summary map[string]int
	}
	require.NoError(t, json.Unmarshal([]byte(got), &doc))
	assert.Len(t, doc.Tokens, 2)
	assert.Equal(t, 5, doc.Scopes.Read)
	assert.Equal(t, "repo:PRJ/gone", doc.Scopes.Failed[0].Scope)
	assert.Len(t, doc.Summary, 8, "every finding and tokens")
}

func TestJSONDocumentWithoutTokensOrServer(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	w, err := NewWriter("json", &out, Meta{GeneratedAt: testMeta.GeneratedAt})
	require.NoError(t, err)
	require.NoError(t, w.Close(*newSummary()))
	assert.Equal(t, "{\n"+`  "generatedAt": "2026-03-01T12:00:00Z",`+"\n"+
		`  "server": {"url": null, "version": null},`+"\n"+
		`  "tokens": [],`+"\n"+
		`  "scopes": {"read":0,"failed":[]},`+"\n"+
		`  "summary": {"expired":0,"expiring":0,"no-expiry":0,"never-used":0,"unused":0,"admin":0,"inactive-owner":0,"tokens":0}`+"\n}\n",
		out.String())
	assert.True(t, json.Valid(out.Bytes()))
}

func TestJSONLLines(t *testing.T) {
	t.Parallel()
	got := writeReport(t, "jsonl", reportTokens(), testSummary(), testMeta)
	assert.Equal(t, fullTokenJSON+"\n"+bareTokenJSON+"\n"+`{"summary":`+summaryJSON+`,"scopes":`+scopesJSON+"}\n", got)
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		assert.True(t, json.Valid([]byte(line)), line)
	}
}

func TestCSV(t *testing.T) {
	t.Parallel()
	got := writeReport(t, "csv", reportTokens(), testSummary(), testMeta)
	assert.Equal(t, "scope,id,name,created,expiry,last_used,permissions,owner,findings\n"+
		`project:PRJ,075905477751,"deploy ""prod""",2026-01-02T03:05:06Z,2026-03-01T11:00:00Z,2025-11-01T00:00:00.123Z,PROJECT_ADMIN;REPO_WRITE,access-token-user/1/1,expired;unused;admin`+"\n"+
		"user:alice,000000000002,ci,2026-01-01T00:00:00Z,,,,,no-expiry;never-used;inactive-owner\n", got)
	records, err := csv.NewReader(strings.NewReader(got)).ReadAll()
	require.NoError(t, err)
	assert.Len(t, records, 3)
}

func TestCSVWithoutTokensStillHasItsHeader(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	w, err := NewWriter("csv", &out, Meta{})
	require.NoError(t, err)
	require.NoError(t, w.Close(*newSummary()))
	assert.Equal(t, "scope,id,name,created,expiry,last_used,permissions,owner,findings\n", out.String())
}

func TestTable(t *testing.T) {
	t.Parallel()
	toks := reportTokens()
	toks[1].Name = "evil\x1b[31mname\nnext"
	got := writeReport(t, "table", toks, testSummary(), testMeta)
	lines := strings.Split(got, "\n")
	require.GreaterOrEqual(t, len(lines), 6)
	assert.Regexp(t, `^SCOPE +ID +NAME +EXPIRES +DAYS +LAST USED +FINDINGS$`, lines[0])
	assert.Regexp(t, `^project:PRJ +075905477751 +deploy "prod" +2026-03-01 +-1 +2025-11-01 +expired,unused,admin$`, lines[1])
	assert.Regexp(t, `^user:alice +000000000002 +evil\?\[31mname\?next +never +- +never +no-expiry,never-used,inactive-owner$`, lines[2])
	assert.Contains(t, got, "2 tokens in 5 scopes (1 could not be read): 1 expired, 0 expiring, 1 no-expiry, 1 never-used, 1 unused, 1 admin, 1 inactive-owner")
	assert.Contains(t, got, `could not read repo:PRJ/gone: 404 "gone"`)
	assert.NotContains(t, got, "\x1b", "no escape sequence reaches the terminal")
}

func TestNewWriterRejectsUnknownFormat(t *testing.T) {
	t.Parallel()
	_, err := NewWriter("yaml", &bytes.Buffer{}, Meta{})
	require.Error(t, err)
	assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
	assert.Contains(t, err.Error(), `"yaml"`)
	for _, f := range Formats {
		_, err := NewWriter(f, &bytes.Buffer{}, Meta{})
		assert.NoError(t, err, f)
	}
}

// failingWriter fails every write, like a closed pipe.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriterReportsOutputErrors(t *testing.T) {
	t.Parallel()
	for _, f := range Formats {
		w, err := NewWriter(f, failingWriter{}, Meta{})
		require.NoError(t, err)
		var werr error
		for range 2000 { // more than the buffer holds
			if werr = w.Write(reportTokens()[0]); werr != nil {
				break
			}
		}
		if werr == nil {
			werr = w.Close(testSummary())
		}
		assert.ErrorContains(t, werr, "broken pipe", f)
	}
}

package audit

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

// stdToken is a TOKEN object as encoding/json would write it from a
// struct: the plain alternative to appendJSON, for BenchmarkTokenJSON.
type stdToken struct {
	Scope             string     `json:"scope"`
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	CreatedDate       *time.Time `json:"createdDate"`
	ExpiryDate        *time.Time `json:"expiryDate"`
	LastAuthenticated *time.Time `json:"lastAuthenticated"`
	Permissions       []string   `json:"permissions"`
	Owner             *string    `json:"owner"`
	Findings          []Finding  `json:"findings"`
	DaysLeft          *int       `json:"daysLeft"`
}

func utcOrNil(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// appendStdJSON appends t's TOKEN object through encoding/json.
func appendStdJSON(buf *bytes.Buffer, t *Token) error {
	perms := make([]string, len(t.Permissions))
	for i, p := range t.Permissions {
		perms[i] = string(p)
	}
	var owner *string
	if o := t.Owner(); o != "" {
		owner = &o
	}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return enc.Encode(stdToken{Scope: t.Scope.String(), ID: t.ID, Name: t.Name, CreatedDate: utcOrNil(&t.CreatedDate),
		ExpiryDate: utcOrNil(t.ExpiryDate), LastAuthenticated: utcOrNil(t.LastAuthenticated), Permissions: perms,
		Owner: owner, Findings: t.Findings, DaysLeft: t.DaysLeft})
}

func TestStdJSONAlternativeWritesTheSameObject(t *testing.T) {
	t.Parallel()
	for _, tok := range reportTokens() {
		var std bytes.Buffer
		require.NoError(t, appendStdJSON(&std, &tok))
		assert.JSONEq(t, string(tok.appendJSON(nil)), std.String(), "the benchmark compares like with like")
	}
}

// BenchmarkTokenJSON pairs the hand-written TOKEN encoder with
// encoding/json on the same tokens, in one run:
//
//	go test -run '^$' -bench TokenJSON -count 8 ./audit/
//
// The hand-written one stays only while it saves more than 5% of what an
// audit costs per token; an audit on the in-process fake spends some 20 µs
// of CPU per token (BenchmarkAuditOnFake, 3 tokens per scope).
func BenchmarkTokenJSON(b *testing.B) {
	toks := reportTokens()
	b.Run("hand-written", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for i := range b.N {
			buf = toks[i%2].appendJSON(buf[:0])
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for i := range b.N {
			buf.Reset()
			if err := appendStdJSON(&buf, &toks[i%2]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestTokenJSONEscapesWhatWouldActOnATerminal: json and jsonl shown on a
// terminal (or piped to less) cannot drive it: every hidden character is
// written as a \uXXXX escape, and reads back as the same name.
func TestTokenJSONEscapesWhatWouldActOnATerminal(t *testing.T) {
	t.Parallel()
	names := []string{"tag \U000E0041 character", "del \x7f", "c1 \u0085"}
	for _, n := range hostileNames {
		names = append(names, n)
	}
	for _, name := range names {
		tok := reportTokens()[0]
		tok.Name = name
		out := tok.appendJSON(nil)
		assert.False(t, strings.ContainsFunc(string(out), textsafe.Hidden), "%q written raw: %s", name, out)
		var back struct{ Name string }
		require.NoError(t, json.Unmarshal(out, &back))
		assert.Equal(t, name, back.Name, "the same name for a JSON reader")
	}
}

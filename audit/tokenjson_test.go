package audit

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/bbdc-tools/accesstokens"
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

package audit

import (
	"testing"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func whereToken(name, owner string, created time.Time, findings ...Finding) Token {
	return Token{
		Scope: userSc,
		AccessToken: accesstokens.AccessToken{
			ID: "1", Name: name, CreatedDate: created,
			User: &accesstokens.User{Slug: owner},
		},
		Findings: findings,
	}
}

func TestWhereMatch(t *testing.T) {
	t.Parallel()
	jan15 := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	ciUnused := whereToken("ci-deploy", "alice", jan15, Unused)
	for _, tc := range []struct {
		expr string
		tok  Token
		want bool
	}{
		{"unused", ciUnused, true},
		{"expired", ciUnused, false},
		{"unused,name=ci-*", ciUnused, true},
		{"unused, name=ci-*", ciUnused, true},
		{"unused,name=cd-*", ciUnused, false},
		{"expired,name=ci-*", ciUnused, false},
		{"name=ci-deploy", ciUnused, true},
		{"name=ci-deplo", ciUnused, false},
		{"name=ci-deplo?", ciUnused, true},
		{"name=*deploy", ciUnused, true},
		{"name=*", ciUnused, true},
		{"name=*-*-*", ciUnused, false},
		{"name=deploy/*", whereToken("deploy/prod/eu", "bob", jan15), true}, // "*" crosses "/"
		{`name=a\*b`, whereToken("a*b", "bob", jan15), true},
		{`name=a\*b`, whereToken("axb", "bob", jan15), false},
		{"name=h?llo", whereToken("héllo", "bob", jan15), true}, // "?" is one character, not one byte
		{"owner=alice", ciUnused, true},
		{"owner=ALICE", ciUnused, true},
		{"owner=bob", ciUnused, false},
		{"created-before=2026-01-16", ciUnused, true},
		{"created-before=2026-01-15", ciUnused, false},
		{"created-before=2026-01-15T10:00:00Z", ciUnused, false}, // strictly before
		{"created-before=2026-01-15T10:00:01Z", ciUnused, true},
		{"created-after=2026-01-15", ciUnused, true},            // midnight UTC
		{"created-after=2026-01-15T10:00:00Z", ciUnused, false}, // strictly after
		{"created-after=2026-01-15T11:00:00+02:00", ciUnused, true},
		{"created-after=2026-01-01,created-before=2026-02-01", ciUnused, true},
		{"created-after=2026-02-01,created-before=2026-03-01", ciUnused, false},
		{"unused,owner=alice,name=ci-*,created-before=2027-01-01", ciUnused, true},
		{"name=a*,name=*z", whereToken("abz", "x", jan15), true},
		{"name=a*,name=*z", whereToken("aby", "x", jan15), false},
	} {
		w, err := ParseWhere(tc.expr)
		require.NoError(t, err, tc.expr)
		assert.Equal(t, tc.want, w.Match(tc.tok), "%s on %q", tc.expr, tc.tok.Name)
	}
}

func TestParseWhereRejectsBadExpressions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ expr, mentions string }{
		{"", "empty"},
		{"  ", "empty"},
		{"expired,,unused", "empty term"},
		{"expired,", "empty term"},
		{",expired", "empty term"},
		{"expird", `"expird"`},
		{"created-before=notadate", `"notadate"`},
		{"created-after=2026-13-01", `"2026-13-01"`},
		{"created-after=01/02/2026", `"01/02/2026"`},
		{"name=", "name= needs a value"},
		{"owner=", "owner= needs a value"},
		{"colour=red", `"colour"`},
		{"Name=ci-*", `"Name"`},
	} {
		_, err := ParseWhere(tc.expr)
		require.Error(t, err, tc.expr)
		assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument, tc.expr)
		assert.Contains(t, err.Error(), tc.mentions, tc.expr)
	}
}

func TestWhereString(t *testing.T) {
	t.Parallel()
	w, err := ParseWhere(" unused , name = ci-* ,owner=alice")
	require.NoError(t, err)
	assert.Equal(t, "unused,name=ci-*,owner=alice", w.String())
	again, err := ParseWhere(w.String())
	require.NoError(t, err)
	assert.Equal(t, w, again, "String reads back as the same filter")
}

func TestZeroWhereMatchesNothing(t *testing.T) {
	t.Parallel()
	assert.False(t, Where{}.Match(whereToken("x", "y", now, Expired)))
	assert.Equal(t, "", Where{}.String())
}

func TestGlobMatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"**", "abc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"*x", "xxxx", true},
		{"?", "", false},
		{"??", "ab", true},
		{`\`, `\`, true},
		{`a\`, `a\`, true},
		{`\?`, "?", true},
		{`\?`, "a", false},
		{"[ab]", "[ab]", true}, // no character classes: brackets are literal
	} {
		assert.Equal(t, tc.want, globMatch(tc.pattern, tc.name), "%q ~ %q", tc.pattern, tc.name)
	}
}

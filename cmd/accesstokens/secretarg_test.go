package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestASecretPastedAsAnArgumentIsNeverEchoed: a token secret typed where a
// command, a scope, an id or a flag's value goes (with "BBDC-" or without,
// as older servers mint them) is refused as any bad argument is (exit 2,
// before any request), and the error says it looks like a secret instead
// of repeating it.
func TestASecretPastedAsAnArgumentIsNeverEchoed(t *testing.T) {
	t.Parallel()
	unprefixed := strings.TrimPrefix(leakedSecret, "BBDC-")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{leakedSecret}, `unknown command (that looks like a token secret; it was not shown) for "accesstokens" (see 'accesstokens --help')`},
		{[]string{unprefixed}, `unknown command (that looks like a token secret; it was not shown) for "accesstokens"`},
		{[]string{leakedSecret, "--all"}, `unknown command (that looks like a token secret; it was not shown) for "accesstokens"`},
		{[]string{"policy", leakedSecret}, `unknown command (that looks like a token secret; it was not shown) for "accesstokens policy"`},
		{[]string{"get", "project:PRJ", leakedSecret}, "ID (that looks like a token secret; it was not shown): a token id is a string of digits, as list shows it"},
		{[]string{"get", "project:PRJ", unprefixed}, "ID (that looks like a token secret; it was not shown): a token id is a string of digits"},
		{[]string{"revoke", "project:PRJ", "1", leakedSecret}, "ID (that looks like a token secret; it was not shown): "},
		{[]string{"list", leakedSecret}, `SCOPE (that looks like a token secret; it was not shown): it is not "user:SLUG", "project:KEY" or "repo:KEY/SLUG"`},
		{[]string{"audit", "--scope", leakedSecret}, "--scope (that looks like a token secret; it was not shown): it is not "},
		{[]string{"list", "project:PRJ", "--timeout", leakedSecret}, `invalid argument (that looks like a token secret; it was not shown) for "--timeout" flag`},
		{[]string{"list", "project:PRJ", "--timeout=" + leakedSecret}, `invalid argument (that looks like a token secret; it was not shown) for "--timeout" flag`},
		{[]string{"list", "project:PRJ", "-" + leakedSecret}, "unknown shorthand flag: 'B' in -(that looks like a token secret; it was not shown)"},
		{[]string{"policy", "set", leakedSecret}, "DAYS (that looks like a token secret; it was not shown): a whole number of days, at least 1"},
		{[]string{"audit", "--all", "--now", leakedSecret}, "--now (that looks like a token secret; it was not shown): use a date"},
		{[]string{"exec", "project:PRJ", "--perm", "repo_read", "--", leakedSecret}, "CMD (that looks like a token secret; it was not shown): "},
	} {
		io, out, errOut := testIO(false)
		env := map[string]string{"BITBUCKET_URL": "http://127.0.0.1:1", "BITBUCKET_TOKEN": "t"}
		code := run(context.Background(), tc.args, io, func(k string) string { return env[k] })
		assert.Equal(t, exitUsage, code, "%q: %s", tc.args[0], errOut.String())
		assert.Contains(t, errOut.String(), tc.want, tc.args[0])
		assert.NotContains(t, errOut.String()+out.String(), unprefixed, "the secret is not repeated")
	}
}

func TestHideSecretsLeavesOtherWordsAlone(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`GET /rest/access-tokens/latest/projects/PRJ: 404 "BBDC"`:       `GET /rest/access-tokens/latest/projects/PRJ: 404 "BBDC"`,
		`--where "expired,name=ci-*": unknown finding "expird"`:         `--where "expired,name=ci-*": unknown finding "expird"`,
		`token 075905477751: base64 "MjUyOTczNTE1MDY5On2rDbI" is short`: `token 075905477751: base64 "MjUyOTczNTE1MDY5On2rDbI" is short`,
		"secret " + leakedSecret + " and more":                          "secret " + secretArgNote + " and more",
		`"` + leakedSecret + `"`:                                        secretArgNote,
	} {
		assert.Equal(t, want, hideSecrets(in))
	}
}

package accesstokens_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// specSecret is the example secret of Atlassian's 9.2 and 9.4
// specifications, whose example token id is 252973515069.
const specSecret = "MjUyOTczNTE1MDY5On2rDbID2EgYpH8AVOECHv0saruQ"

// secretFor makes a secret of Bitbucket's format for id, in enc.
func secretFor(t *testing.T, id string, enc *base64.Encoding) string {
	t.Helper()
	random := make([]byte, 20)
	_, err := rand.Read(random)
	require.NoError(t, err)
	return enc.EncodeToString(append([]byte(id+":"), random...))
}

func TestSecretTokenIDReadsTheIDEverySecretCarries(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, value, id string }{
		{"the specification's example", specSecret, "252973515069"},
		{"with BBDC- in front", "BBDC-" + specSecret, "252973515069"},
		{"pasted with spaces around", " BBDC-" + specSecret + "\n", "252973515069"},
		{"a 10-digit id, padded", secretFor(t, "2512744587", base64.StdEncoding), "2512744587"},
		{"a 10-digit id, unpadded", "BBDC-" + secretFor(t, "2512744587", base64.RawStdEncoding), "2512744587"},
		{"leading zeros kept", "BBDC-" + secretFor(t, "000000000042", base64.StdEncoding), "000000000042"},
		{"the URL-safe alphabet", secretFor(t, "848894838086", base64.RawURLEncoding), "848894838086"},
	}
	for _, tt := range tests {
		secret := accesstokens.NewSecret(tt.value)

		id, ok := secret.TokenID()

		assert.True(t, ok, tt.name)
		assert.Equal(t, tt.id, id, tt.name)
		assert.Equal(t, tt.value, secret.Reveal(), "%s: the secret is unchanged", tt.name)
	}
}

func TestSecretTokenIDIsFalseForValuesOfAnotherShape(t *testing.T) {
	t.Parallel()
	std := base64.StdEncoding.EncodeToString
	twenty := strings.Repeat("x", 20)
	for _, value := range []string{
		"",
		"BBDC-",
		"another-systems-token-0123456789", // another system's token
		specSecret[:40],                    // cut short
		"BBDC-" + specSecret + "!",         // not base64
		std([]byte("abc:" + twenty)),       // an id that is not digits
		std([]byte(":" + twenty)),          // no id
		std([]byte("123:" + twenty[:19])),  // 19 random bytes
		std([]byte("123:" + twenty + "y")), // 21
		std([]byte("12345678901234567890:" + twenty)), // 20 digits
		"BBDC-" + strings.Repeat("A", 200),            // far too long
	} {
		id, ok := accesstokens.NewSecret(value).TokenID()
		assert.False(t, ok, "%q", value)
		assert.Empty(t, id, "%q", value)
	}
	id, ok := accesstokens.Secret{}.TokenID()
	assert.False(t, ok)
	assert.Empty(t, id)
}

func TestSecretTokenIDOfASecretTheFakeMadeIsItsToken(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]accesstokenstest.Option{
		"8.x ids":                nil,
		"9.x ids":                {accesstokenstest.WithServerVersion("9.4.3")},
		"secrets without BBDC-":  {accesstokenstest.WithUnprefixedSecrets()},
		"9.x ids, without BBDC-": {accesstokenstest.WithServerVersion("9.4.3"), accesstokenstest.WithUnprefixedSecrets()},
	} {
		srv := accesstokenstest.NewServer(opts...)
		t.Cleanup(srv.Close)
		c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth(accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword))
		require.NoError(t, err)

		created, err := c.Tokens.Create(context.Background(), accesstokens.ProjectScope(accesstokenstest.DemoProject),
			accesstokens.CreateTokenRequest{Name: "ci", Permissions: []accesstokens.Permission{accesstokens.ProjectRead}})
		require.NoError(t, err, name)

		id, ok := created.Token.TokenID()
		assert.True(t, ok, name)
		assert.Equal(t, created.ID, id, name)
	}
}

func TestParseBotUserReadsNamesAndSlugs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want accesstokens.BotUser
	}{
		{"access-token-user/1/42", accesstokens.BotUser{ProjectID: 42}},
		{"access-token-user/2/1405", accesstokens.BotUser{RepositoryID: 1405}},
		{"access-token-user_2_1405", accesstokens.BotUser{RepositoryID: 1405}},
		{"access-token-user_1_2147483647", accesstokens.BotUser{ProjectID: 2147483647}},
		{"access-token-user%2F2%2F11754", accesstokens.BotUser{RepositoryID: 11754}}, // as X-AUSERNAME carries it
	}
	for _, tt := range tests {
		bot, ok := accesstokens.ParseBotUser(tt.in)
		require.True(t, ok, tt.in)
		assert.Equal(t, tt.want, bot, tt.in)
		back, ok := accesstokens.ParseBotUser(bot.Name())
		assert.True(t, ok)
		assert.Equal(t, bot, back, "Name reads back")
		back, _ = accesstokens.ParseBotUser(bot.Slug())
		assert.Equal(t, bot, back, "Slug reads back")
	}
	assert.Equal(t, "access-token-user/2/1405", accesstokens.BotUser{RepositoryID: 1405}.Name())
	assert.Equal(t, "access-token-user_1_42", accesstokens.BotUser{ProjectID: 42}.Slug())
	assert.Empty(t, accesstokens.BotUser{}.Name())
}

func TestParseBotUserRefusesOtherNames(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"", "alice", "access-token-user", "access-token-user/", "access-token-user/1/", "access-token-user/3/42",
		"access-token-user/1_42", "access-token-user/1/042", "access-token-user/1/0", "access-token-user/1/-5",
		"access-token-user/1/+5", "access-token-user/1/2147483648", "access-token-user/1/42/x", "access-token-user/1/4 2",
		"access-token-user%zz", "Access-Token-User/1/42", "xaccess-token-user/1/42", "access-token-user/12/3",
	} {
		bot, ok := accesstokens.ParseBotUser(in)
		assert.False(t, ok, "%q", in)
		assert.Equal(t, accesstokens.BotUser{}, bot, "%q", in)
	}
}

func TestParseBotUserOfTheFakesBotsNamesTheirProjectAndRepository(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer(accesstokenstest.WithServerVersion("9.4.3"))
	t.Cleanup(srv.Close)
	c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth(accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword))
	require.NoError(t, err)
	ctx := context.Background()
	var repo accesstokens.Repository
	for r, err := range c.Directory.Repositories(ctx) {
		require.NoError(t, err)
		if r.Slug == accesstokenstest.DemoRepo {
			repo = r
		}
	}
	require.NotZero(t, repo.ID)

	projectToken, err := c.Tokens.Create(ctx, accesstokens.ProjectScope(repo.Project.Key),
		accesstokens.CreateTokenRequest{Name: "p", Permissions: []accesstokens.Permission{accesstokens.ProjectRead}})
	require.NoError(t, err)
	repoToken, err := c.Tokens.Create(ctx, accesstokens.RepoScope(repo.Project.Key, repo.Slug),
		accesstokens.CreateTokenRequest{Name: "r", Permissions: []accesstokens.Permission{accesstokens.RepoRead}})
	require.NoError(t, err)

	bot, ok := accesstokens.ParseBotUser(projectToken.User.Name)
	require.True(t, ok, projectToken.User.Name)
	assert.Equal(t, accesstokens.BotUser{ProjectID: repo.Project.ID}, bot)
	bot, ok = accesstokens.ParseBotUser(repoToken.User.Slug)
	require.True(t, ok, repoToken.User.Slug)
	assert.Equal(t, accesstokens.BotUser{RepositoryID: repo.ID}, bot)
}

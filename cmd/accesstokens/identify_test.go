package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// Flag parsing of identify, without a server (the secret is read from
// files and stdin, before any request).

// secretFile writes content to a new file and returns its path.
func secretFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "leaked.txt")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestIdentifyParsesItsFlags(t *testing.T) {
	t.Parallel()
	file := secretFile(t, leakedSecret+"\n")
	var got *IdentifyOptions
	require.NoError(t, parsed(t, NewCmdIdentify, &got, "--secret-from", file))
	assert.Equal(t, "252973515069", got.TokenID)
	assert.Equal(t, leakedSecret, got.Secret.Reveal(), "the trailing newline trimmed")
	assert.Equal(t, ScopeSelection{All: true}, got.Select, "every scope by default")
	assert.False(t, got.Revoke || got.Yes || got.AskWho)
	assert.Equal(t, "table", got.Format)
	assert.Equal(t, 8, got.Concurrency)

	require.NoError(t, parsed(t, NewCmdIdentify, &got, "--secret-from", file, "--scope", "project:PRJ", "--scope", "user:alice",
		"--ask-server", "--revoke", "--yes", "-o", "json", "--concurrency", "2"))
	assert.Equal(t, ScopeSelection{Scopes: []accesstokens.Scope{accesstokens.ProjectScope("PRJ"), accesstokens.UserScope("alice")}}, got.Select)
	assert.True(t, got.AskWho && got.Revoke && got.Yes)
	assert.Equal(t, "json", got.Format)
	assert.Equal(t, 2, got.Concurrency)

	require.NoError(t, parsed(t, NewCmdIdentify, &got, "--user", "access-token-user/2/1405", "-o", "json"))
	assert.Equal(t, "access-token-user/2/1405", got.User)
	assert.True(t, got.Secret.IsZero())
}

func TestIdentifyReadsAnUnprefixedSecretFromStdin(t *testing.T) {
	t.Parallel()
	var got *IdentifyOptions
	f := flagFactory()
	f.IO.In = strings.NewReader("  MjUyOTczNTE1MDY5On2rDbID2EgYpH8AVOECHv0saruQ\r\n")
	cmd := NewCmdIdentify(f, func(_ context.Context, o *IdentifyOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--secret-from", "-"})
	require.NoError(t, cmd.Execute())
	assert.Equal(t, "252973515069", got.TokenID)
	assert.Equal(t, "MjUyOTczNTE1MDY5On2rDbID2EgYpH8AVOECHv0saruQ", got.Secret.Reveal())
}

func TestIdentifyRefusesMistakesBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	good := secretFile(t, leakedSecret)
	notASecret := secretFile(t, "ghp_0123456789abcdefghijklmnopqrstuvwxyz\n")
	empty := secretFile(t, " \n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "identify needs --secret-from FILE (or - for stdin), or --user NAME (see 'accesstokens identify --help')"},
		{[]string{leakedSecret}, "identify takes no arguments: the secret is read from a file or stdin (--secret-from FILE or -), never from the command line, where ps and the shell's history would show it"},
		{[]string{"--secret", leakedSecret}, "unknown flag: --secret (see 'identify --help')"},
		{[]string{"--secret=" + leakedSecret}, "unknown flag: --secret (see 'identify --help')"},
		{[]string{"-" + leakedSecret}, "unknown shorthand flag: -B (see 'identify --help')"},
		{[]string{"--secret-from", leakedSecret}, "--secret-from VALUE (not shown: it looks like a secret itself, which belongs in a file; consider it exposed in your shell's history): no such file or directory"},
		{[]string{"--secret-from", notASecret}, `--secret-from "` + notASecret + `": not a Bitbucket access token secret ("BBDC-" and the base64 of a token id and 20 bytes, or the same without "BBDC-"): it carries no token id`},
		{[]string{"--secret-from", empty}, `--secret-from "` + empty + `": is empty`},
		{[]string{"--secret-from", filepath.Dir(empty)}, `--secret-from "` + filepath.Dir(empty) + `": is a directory`},
		{[]string{"--secret-from", good, "--yes"}, "--yes goes with --revoke"},
		{[]string{"--secret-from", good, "--user", "bob"}, "--user and --secret-from cannot be used together: identify one thing at a time"},
		{[]string{"--user", "bob", "--revoke"}, "--revoke goes with --secret-from; --user lists a scope's tokens (revoke them with 'accesstokens revoke')"},
		{[]string{"--user", "bob", "--ask-server"}, "--ask-server goes with --secret-from; --user lists a scope's tokens (revoke them with 'accesstokens revoke')"},
		{[]string{"--user", "bob", "--all"}, "--all and --scope go with --secret-from: --user names the scope itself"},
		{[]string{"--user", " "}, "--user: must not be empty"},
		{[]string{"--secret-from", good, "--all", "--scope", "project:P"}, "--all and --scope cannot be used together"},
		{[]string{"--secret-from", good, "-o", "csv"}, `-o "csv": identify prints table or json`},
		{[]string{"--secret-from", good, "--concurrency", "0"}, "--concurrency: must be at least 1, got 0"},
	} {
		var got *IdentifyOptions
		code, err := exitCodeOf(parsed(t, NewCmdIdentify, &got, tc.args...))
		assert.Equal(t, exitUsage, code, tc.args)
		assert.EqualError(t, err, tc.want, tc.args)
		if err != nil {
			assert.NotContains(t, err.Error(), leakedSecret[5:], "%s: the secret is never in an error", tc.args)
		}
	}
}

func TestIdentifyRefusesWhatCannotBeOneSecret(t *testing.T) {
	t.Parallel()
	for name, content := range map[string]string{
		"two lines": leakedSecret + "\n" + leakedSecret + "\n",
		"too long":  strings.Repeat("x", maxSecretFile+1),
	} {
		file := secretFile(t, content)
		var got *IdentifyOptions
		code, err := exitCodeOf(parsed(t, NewCmdIdentify, &got, "--secret-from", file))
		assert.Equal(t, exitUsage, code, name)
		require.Error(t, err, name)
		assert.NotContains(t, err.Error(), "xxxx", name)
		assert.NotContains(t, err.Error(), leakedSecret[5:], name)
	}
}

func TestIdentifyRefusesTwoReadersOfStdin(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	io := &IOStreams{In: strings.NewReader(leakedSecret), Out: &out, ErrOut: &out}
	code := run(context.Background(), []string{"identify", "--secret-from", "-", "--username", "admin", "--password-stdin"}, io, func(string) string { return "" })
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "accesstokens: --secret-from - and --password-stdin both read stdin: put the secret in a file\n", out.String())
}

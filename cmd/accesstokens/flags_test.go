package main

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// Flag parsing of the commands that change tokens, without a server: each
// constructor takes the function that does the work, and these tests give
// it one that records the options it got (as gh's command tests do).

// parsed runs a fresh command (cobra keeps which flags were set) with
// args; it returns the usage error, if any, and checks that the work
// function was not reached after one.
func parsed[O any](t *testing.T, newCmd func(*Factory, func(context.Context, *O) error) *cobra.Command, got **O, args ...string) error {
	t.Helper()
	reached := false
	*got = nil
	cmd := newCmd(flagFactory(), func(_ context.Context, o *O) error { *got, reached = o, true; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.ExecuteContext(context.Background())
	if err != nil {
		assert.False(t, reached, "the work function is not reached after a usage error")
	} else {
		require.True(t, reached, "the work function gets the parsed options")
	}
	return err
}

func flagFactory() *Factory {
	return &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}, Getenv: func(string) string { return "" }}
}

func TestCreateParsesItsFlags(t *testing.T) {
	t.Parallel()
	var got *CreateOptions
	require.NoError(t, parsed(t, NewCmdCreate, &got, "repo:PRJ/app", "--name", "ci", "--perm", "repo_read,repo_write", "--expiry-days", "90", "--secret-to", "ci.token", "--force", "-o", "json"))
	assert.Equal(t, accesstokens.RepoScope("PRJ", "app"), got.Scope)
	assert.Equal(t, "ci", got.Name)
	assert.Equal(t, []accesstokens.Permission{accesstokens.RepoRead, accesstokens.RepoWrite}, got.Permissions)
	assert.Equal(t, 90, got.ExpiryDays)
	assert.Equal(t, "ci.token", got.SecretTo)
	assert.True(t, got.Force)
	assert.Equal(t, "json", got.Format)

	for args, want := range map[string]string{
		"project:PRJ --name ci --perm repo_read --secret-to x --expiry-days 36501": "--expiry-days: at most 36500 (100 years), got 36501: a later expiry date cannot be stored and read back",
		"project:PRJ --name ci --perm repo_read --secret-to - -o jsonl":            "-o jsonl: stdout holds the secret alone with --secret-to -; write the secret to a file to get the token on stdout",
		"project:PRJ --name ci --perm repo_read --secret-to x -o yaml":             `-o "yaml": use table, json, jsonl, csv`,
		"project:PRJ --perm repo_read --secret-to x":                               "--name is required",
	} {
		code, err := exitCodeOf(parsed(t, NewCmdCreate, &got, strings.Fields(args)...))
		assert.Equal(t, exitUsage, code, args)
		assert.EqualError(t, err, want, args)
	}
}

func TestUpdateParsesItsFlags(t *testing.T) {
	t.Parallel()
	var got *UpdateOptions
	require.NoError(t, parsed(t, NewCmdUpdate, &got, "project:PRJ", "0075905477751", "--name", "ci-main"))
	assert.Equal(t, accesstokens.ProjectScope("PRJ"), got.Scope)
	assert.Equal(t, "0075905477751", got.ID, "leading zeros kept")
	require.NotNil(t, got.Name)
	assert.Equal(t, "ci-main", *got.Name)
	assert.Nil(t, got.Permissions, "permissions unchanged")

	code, err := exitCodeOf(parsed(t, NewCmdUpdate, &got, "project:PRJ", "1"))
	assert.Equal(t, exitUsage, code)
	assert.EqualError(t, err, "nothing to change: give --name and/or --perm")
}

func TestRotateParsesItsFlags(t *testing.T) {
	t.Parallel()
	var got *RotateOptions
	require.NoError(t, parsed(t, NewCmdRotate, &got, "user:alice", "42", "--keep-old", "--expiry-days", "30", "--secret-to", "a.token", "--exec", "vault kv put secret/ci token=-", "-o", "json"))
	assert.Equal(t, accesstokens.UserScope("alice"), got.Scope)
	assert.Equal(t, "42", got.ID)
	assert.True(t, got.KeepOld)
	assert.Equal(t, 30, got.ExpiryDays)
	assert.Equal(t, "a.token", got.SecretTo)
	assert.Equal(t, "vault kv put secret/ci token=-", got.Exec)
	assert.Equal(t, "json", got.Format)
	assert.NotEmpty(t, got.Environ, "--exec runs in the process's environment")

	for args, want := range map[string]string{
		"user:alice 42 --secret-to - -o json":                "-o json: stdout holds the secret alone with --secret-to -; write the secret to a file to get the token on stdout",
		"user:alice 42 --secret-to x --exec":                 "flag needs an argument: --exec",
		"user:alice 42 --expiry-days 99999999 --secret-to x": "--expiry-days: at most 36500 (100 years), got 99999999: a later expiry date cannot be stored and read back",
	} {
		err := parsed(t, NewCmdRotate, &got, strings.Fields(args)...)
		require.Error(t, err, args)
		assert.Contains(t, err.Error(), want, args)
	}
}

func TestExecParsesItsFlagsAndCMD(t *testing.T) {
	t.Parallel()
	var got *ExecOptions
	require.NoError(t, parsed(t, NewCmdExec, &got, "project:PRJ", "--perm", "repo_read", "--", "sh", "-c", "echo $BITBUCKET_TOKEN --perm x"))
	assert.Equal(t, accesstokens.ProjectScope("PRJ"), got.Scope)
	assert.Equal(t, []accesstokens.Permission{accesstokens.RepoRead}, got.Permissions)
	assert.Equal(t, []string{"sh", "-c", "echo $BITBUCKET_TOKEN --perm x"}, got.Argv, "everything after -- is CMD's")
	assert.Equal(t, 1, got.ExpiryDays, "a day by default")
	assert.Regexp(t, `^exec-[A-Za-z0-9._-]+-\d{8}T\d{6}Z$`, got.Name)
	assert.True(t, got.DefaultName)

	require.NoError(t, parsed(t, NewCmdExec, &got, "user:alice", "--perm", "repo_write", "--name", "nightly", "--expiry-days", "3", "--", "true"))
	assert.Equal(t, "nightly", got.Name)
	assert.False(t, got.DefaultName)
	assert.Equal(t, 3, got.ExpiryDays)
}

func TestPolicySetParsesDays(t *testing.T) {
	t.Parallel()
	var got *PolicyOptions
	require.NoError(t, parsed(t, newCmdPolicySet, &got, "90"))
	assert.Equal(t, "set", got.Action)
	assert.Equal(t, 90, got.Days)
	for _, days := range []string{"0", "90d", "ninety"} {
		code, err := exitCodeOf(parsed(t, newCmdPolicySet, &got, days))
		assert.Equal(t, exitUsage, code, days)
		assert.EqualError(t, err, `DAYS "`+days+`": a whole number of days, at least 1`)
	}
	require.NoError(t, parsed(t, newCmdPolicyGet, &got, "-o", "json"))
	assert.Equal(t, "json", got.Format)
}

// TestExpiryDaysBoundIsTheSDKs: create, rotate and exec take --expiry-days
// up to the SDK's accesstokens.MaxExpiryDays and say so in their help.
func TestExpiryDaysBoundIsTheSDKs(t *testing.T) {
	t.Parallel()
	most, over := strconv.Itoa(accesstokens.MaxExpiryDays), strconv.Itoa(accesstokens.MaxExpiryDays+1)
	var create *CreateOptions
	require.NoError(t, parsed(t, NewCmdCreate, &create, "project:PRJ", "--name", "ci", "--perm", "repo_read", "--secret-to", "x", "--expiry-days", most))
	require.Error(t, parsed(t, NewCmdCreate, &create, "project:PRJ", "--name", "ci", "--perm", "repo_read", "--secret-to", "x", "--expiry-days", over))
	var rotate *RotateOptions
	require.NoError(t, parsed(t, NewCmdRotate, &rotate, "user:alice", "42", "--secret-to", "x", "--expiry-days", most))
	require.Error(t, parsed(t, NewCmdRotate, &rotate, "user:alice", "42", "--secret-to", "x", "--expiry-days", over))
	var execOpts *ExecOptions
	require.NoError(t, parsed(t, NewCmdExec, &execOpts, "project:PRJ", "--perm", "repo_read", "--expiry-days", most, "--", "true"))
	require.Error(t, parsed(t, NewCmdExec, &execOpts, "project:PRJ", "--perm", "repo_read", "--expiry-days", over, "--", "true"))
	for _, cmd := range []*cobra.Command{NewCmdCreate(flagFactory(), nil), NewCmdRotate(flagFactory(), nil), NewCmdExec(flagFactory(), nil)} {
		assert.Contains(t, cmd.Flags().Lookup("expiry-days").Usage, most, cmd.Name())
	}
}

// TestExecSaysWhereCMDsFlagsGo: CMD's flags typed without -- in front are
// taken for exec's; the error says to put -- before CMD.
func TestExecSaysWhereCMDsFlagsGo(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"exec", "project:PRJ", "--perm", "repo_read", "sh", "-c", "echo hi"},
		{"exec", "project:PRJ", "--perm", "repo_read", "git", "clone", "--depth", "1", "https://x"},
	} {
		io, _, errOut := testIO(false)
		code := run(context.Background(), args, io, func(string) string { return "" })
		assert.Equal(t, exitUsage, code, args)
		assert.Regexp(t, `^accesstokens: unknown (shorthand )?flag: .*: if it is CMD's, put -- before CMD \(accesstokens exec SCOPE --perm P -- CMD \[ARG\.\.\.\]; see 'accesstokens exec --help'\)\n$`, errOut.String())
	}
	io, _, errOut := testIO(false)
	code := run(context.Background(), []string{"exec", "project:PRJ", "--perm"}, io, func(string) string { return "" })
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "accesstokens: flag needs an argument: --perm (see 'accesstokens exec --help')\n", errOut.String(), "other flag mistakes as before")
}

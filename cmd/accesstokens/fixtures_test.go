// Fixtures of the command's Go tests: streams as buffers, and connections
// to an in-process fake Bitbucket.

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

// Unit tests of the run functions: Options filled in by hand, the fake
// server in-process, streams as buffers.

// testIO returns streams over buffers; errTTY says whether stderr plays a terminal.
func testIO(errTTY bool) (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, ErrTTY: errTTY}, &out, &errOut
}

// connectTo is a Connect that hands out a client of srv as admin.
func connectTo(t *testing.T, srv *accesstokenstest.Server) func(context.Context) (*Connection, error) {
	t.Helper()
	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth(accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword))
	require.NoError(t, err)
	return func(context.Context) (*Connection, error) {
		return &Connection{Client: client, URL: srv.URL, Now: srv.Now}, nil
	}
}

func newAuditFake(t *testing.T, scopes int) (*accesstokenstest.Server, []accesstokens.Scope) {
	t.Helper()
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
	var list []accesstokens.Scope
	for i := range scopes {
		key := "P" + strings.Repeat("X", i+1)
		srv.AddProject(key, key)
		srv.SeedTokens(accesstokenstest.ProjectScopeString(key), 3)
		list = append(list, accesstokens.ProjectScope(key))
	}
	return srv, list
}

// parseFlags runs a command's flag parsing alone, as gh's tests do: its
// constructor with a runF that keeps the options, and no server. It returns
// the options the command would run with, or its usage error.
func parseFlags[O any](t *testing.T, newCmd func(*Factory, func(context.Context, *O) error) *cobra.Command, args ...string) (*O, error) {
	t.Helper()
	io, _, _ := testIO(false)
	var got *O
	cmd := newCmd(&Factory{IO: io, Getenv: func(string) string { return "" }}, func(_ context.Context, o *O) error {
		got = o
		return nil
	})
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return got, cmd.Execute()
}

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
		srv.SeedTokens(accesstokenstest.ProjectScope(key), 3)
		list = append(list, accesstokens.ProjectScope(key))
	}
	return srv, list
}

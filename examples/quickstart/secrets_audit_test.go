package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// TestQuickstartFlowLeaksNoSecret runs the whole quickstart story, and its
// read-only part with a Bearer token, with Debug loggers writing into a
// buffer, and prints every error met with %v and %+v. Nothing written may
// contain a secret the fake minted, the Bearer token or a Basic password.
func TestQuickstartFlowLeaksNoSecret(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	// Passwords that cannot be mistaken for user names in the output.
	passwords := map[string]string{"alice": "alice-pw-7fb2c9", "admin": "admin-pw-31d0aa", "bob": "bob-pw-c1e5f0"}
	for user, password := range passwords {
		srv.AddUser(user, password, user == "admin")
	}
	_, bearer := srv.IssueToken(accesstokenstest.UserScope("alice"), "reader", 0, "PROJECT_READ", "REPO_READ")
	// Faults, so that retries and their decisions are logged too.
	srv.InjectFault(accesstokenstest.Fault{Method: "GET", Path: "/projects/PRJ", Status: 503, Times: 1})
	srv.InjectFault(accesstokenstest.Fault{Method: "PUT", Path: "/projects/PRJ", Status: 429, RetryAfter: "0", Times: 1})

	var logs, errs, out bytes.Buffer
	debug := &slog.HandlerOptions{Level: slog.LevelDebug}
	fast := accesstokens.WithRetry(accesstokens.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond})
	observe := func(err error) { fmt.Fprintf(&errs, "%v\n%+v\n", err, err) }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	cfg := tourConfig{
		opts:      []accesstokens.Option{accesstokens.WithLogger(slog.New(slog.NewTextHandler(&logs, debug))), fast},
		passwords: passwords,
		observe:   observe,
	}
	require.NoError(t, demoTour(ctx, &out, srv.URL, cfg))

	reader, err := accesstokens.NewClient(srv.URL, accesstokens.WithToken(bearer),
		accesstokens.WithLogger(slog.New(slog.NewJSONHandler(&logs, debug))), fast)
	require.NoError(t, err)
	// The project listing fails (a token cannot list project tokens): its error and the hint are printed too.
	require.NoError(t, readOnlyTour(ctx, &out, reader, readOnlyConfig{user: "alice", project: "PRJ", tokenAuth: true, observe: observe}))

	// The audit only means something if there was plenty to leak.
	minted := srv.MintedSecrets()
	require.GreaterOrEqual(t, len(minted), 5, "the tour creates tokens")
	require.GreaterOrEqual(t, bytes.Count(errs.Bytes(), []byte("\n")), 8, "errors were met and printed:\n%s", errs.String())
	require.Contains(t, logs.String(), "retry", "retries were logged")
	require.Contains(t, out.String(), "personal tokens of alice:")
	require.Contains(t, out.String(), "tokens of project PRJ:\n  not readable: ")

	written := logs.String() + errs.String() + out.String()
	forbidden := append([]string{bearer}, minted...)
	for user, password := range passwords {
		forbidden = append(forbidden, password, base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
	}
	for _, secret := range forbidden {
		require.NotEmpty(t, secret)
		assert.NotContains(t, written, secret)
	}
}

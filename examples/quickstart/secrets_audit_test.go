package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// TestQuickstartFlowLeaksNoSecret runs the whole quickstart story with Debug
// loggers writing into a buffer and faults that make the client retry.
// Nothing written (the story, which prints the errors it meets, and the
// logs) may contain a secret the fake minted or a Basic password.
func TestQuickstartFlowLeaksNoSecret(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	// Passwords that cannot be mistaken for user names in the output.
	passwords := map[string]string{"alice": "alice-pw-7fb2c9", "admin": "admin-pw-31d0aa", "bob": "bob-pw-c1e5f0"}
	for user, password := range passwords {
		srv.AddUser(user, password, user == "admin")
	}
	// Faults, so that retries and their decisions are logged too.
	srv.InjectFault(accesstokenstest.Fault{Method: "GET", Path: "/projects/PRJ", Status: 503, Times: 1})
	srv.InjectFault(accesstokenstest.Fault{Method: "PUT", Path: "/projects/PRJ", Status: 429, RetryAfter: "0", Times: 1})

	var logs, out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fast := accesstokens.WithRetry(accesstokens.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, demoTour(ctx, &out, srv, login{passwords: passwords, opts: []accesstokens.Option{accesstokens.WithLogger(logger), fast}}))

	// The audit only means something if there was plenty to leak.
	minted := srv.MintedSecrets()
	require.Len(t, minted, 3, "the tour creates tokens")
	require.Contains(t, logs.String(), "retry", "retries were logged")
	require.Contains(t, out.String(), "bad request: true: accesstokens:", "errors were printed")
	require.Contains(t, out.String(), "may not list them: true: accesstokens:", "errors were printed")

	written := logs.String() + out.String()
	forbidden := minted
	for user, password := range passwords {
		forbidden = append(forbidden, password, base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
	}
	for _, secret := range forbidden {
		require.NotEmpty(t, secret)
		assert.NotContains(t, written, secret)
	}
}

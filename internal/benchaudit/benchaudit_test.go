package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/bbdc-tools/accesstokens/audit"
)

// requestKeys are the fake's recorded requests as "METHOD path?query", sorted.
func requestKeys(f *accesstokenstest.Fake) []string {
	var keys []string
	for _, r := range f.Requests() {
		keys = append(keys, record{Method: r.Method, RawPath: r.RawPath, Query: r.Query}.key())
	}
	slices.Sort(keys)
	return keys
}

// The baseline is only a fair comparison if it sends what the audit sends:
// the same requests, read into the same number of tokens. (The script checks
// it again on every run, against the built command.)
func TestBaselineSendsTheAuditsRequests(t *testing.T) {
	t.Parallel()
	world := accesstokenstest.World{Projects: 6, ReposPerProject: 4, Users: 30, TokensPerScope: 2, Seed: 3}
	// Page limits of 7 make every list, directory and token scopes alike, take several pages.
	srv := accesstokenstest.NewServer(accesstokenstest.WithWorld(world), accesstokenstest.WithMaxPageLimit(7))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard
	defer cancel()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("admin", "admin"))
	require.NoError(t, err)
	_, err = client.Directory.ServerInfo(ctx)
	require.NoError(t, err)
	targets, err := audit.Targets(ctx, client.Directory)
	require.NoError(t, err)
	w, err := audit.NewWriter("jsonl", io.Discard, audit.Meta{})
	require.NoError(t, err)
	sum, err := audit.Run(ctx, client.Tokens, targets, audit.Options{Concurrency: 4}, w.Write)
	require.NoError(t, err)
	auditKeys := requestKeys(srv.Fake)

	srv.ResetRequests()
	read, err := newBaseline(baselineSettings{url: srv.URL, user: "admin", password: "admin", concurrency: 4, limit: audit.DefaultPageSize}).audit(ctx)
	require.NoError(t, err)
	baselineKeys := requestKeys(srv.Fake)

	assert.Greater(t, len(auditKeys), len(targets), "several pages per list")
	assert.Equal(t, auditKeys, baselineKeys)
	assert.Equal(t, sum.Tokens, read.Tokens)
	assert.Equal(t, len(targets), read.Scopes)
	assert.Equal(t, srv.TokenCount(), read.Tokens)
}

func TestSameRequestsNamesTheFirstDifference(t *testing.T) {
	t.Parallel()
	a := result{keys: []string{"GET /a?", "GET /b?", "GET /c?"}}
	b := result{keys: []string{"GET /a?", "GET /c?"}}
	assert.Empty(t, sameRequests(a, a, "x", "y"))
	assert.Equal(t, `x made 3 requests, y 2; first difference (sorted): x "GET /b?", y "GET /c?"`, sameRequests(a, b, "x", "y"))
}

func TestLastLineReadsTheSummaryLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out.jsonl")
	require.NoError(t, os.WriteFile(path, []byte("{\"id\":1}\n{\"id\":2}\n{\"summary\":{\"tokens\":2},\"scopes\":{\"read\":1,\"failed\":[]}}\n"), 0o600))
	s, err := readJSONL(path)
	require.NoError(t, err)
	assert.Equal(t, 2, s.Summary.Tokens)
	assert.Equal(t, 1, s.Scopes.Read)

	require.NoError(t, os.WriteFile(path, nil, 0o600))
	_, err = readJSONL(path)
	assert.Error(t, err, "an empty output has no summary")
}

func TestMedian(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 2.0, medianOf([]float64{3, 1, 2}))
	assert.Equal(t, 2.5, medianOf([]float64{4, 1, 3, 2}))
	assert.Equal(t, int64(0), medianOf([]int64{}))
	runs := []result{{wall: 3 * time.Second}, {wall: time.Second}, {wall: 2 * time.Second}}
	assert.Equal(t, 2*time.Second, medianDur(runs, wallOf))
}

func TestParseInts(t *testing.T) {
	t.Parallel()
	got, err := parseInts("1, 4,8")
	require.NoError(t, err)
	assert.Equal(t, []int{1, 4, 8}, got)
	for _, bad := range []string{"", "0", "1,x", "-2"} {
		_, err := parseInts(bad)
		assert.Error(t, err, bad)
	}
}

// The pacing section checks the command's output against the fake's token
// list: it reads every token line of a jsonl report, and only those.
func TestTokensInJSONLReadsEveryTokenLineAndNotTheSummary(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out.jsonl")
	body := `{"scope":"user:bob","id":"002","name":"b"}` + "\n" +
		`{"scope":"project:PLAT","id":"001","name":"a"}` + "\n" +
		`{"summary":{"tokens":2},"scopes":{"read":2,"failed":[]}}` + "\n"
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	got, err := tokensInJSONL(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"project:PLAT 001", "user:bob 002"}, got)

	require.NoError(t, os.WriteFile(path, []byte("{\"id\":\n"), 0o600))
	_, err = tokensInJSONL(path)
	assert.Error(t, err, "a line cut off is not a report")
}

func TestLeastTimeSpendsTheBurstAtOnceAndTheRestAtTheRefill(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 34*time.Second, leastTime(230, 60, 5))
	assert.Equal(t, 11*time.Second, leastTime(230, 120, 10), "two nodes: burst and refill summed")
	assert.Zero(t, leastTime(40, 60, 5), "within the burst")
}

// The command runs as an admin runs it: the server and the credentials in
// the BITBUCKET_* variables, none of the driver's own.
func TestCommandEnvSetsTheServerAndCredentialsOnly(t *testing.T) {
	t.Setenv("BITBUCKET_TOKEN", "leftover")
	env := commandEnv("http://127.0.0.1:1")
	var ours []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "BITBUCKET_") {
			ours = append(ours, kv)
		}
	}
	assert.ElementsMatch(t, []string{"BITBUCKET_URL=http://127.0.0.1:1", "BITBUCKET_USERNAME=admin", "BITBUCKET_PASSWORD=admin"}, ours)
	assert.Contains(t, env, "PATH="+os.Getenv("PATH"))
}

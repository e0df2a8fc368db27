package main

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/bbdc-tools/accesstokens/audit"
)

// parseOpenMetrics reads an exposition back with the format's own parsers
// (see decodeOpenMetrics); it returns the families by name.
func parseOpenMetrics(t *testing.T, text []byte) map[string]*dto.MetricFamily {
	t.Helper()
	families, err := decodeOpenMetrics(text)
	require.NoError(t, err)
	return families
}

// samplesByID is a per-token metric's samples by their id label, each with
// its labels by name.
func samplesByID(t *testing.T, f *dto.MetricFamily) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	if f == nil {
		return out
	}
	for _, m := range f.GetMetric() {
		labels := map[string]string{"value": model.SampleValue(m.GetGauge().GetValue()).String()}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		require.NotContains(t, out, labels["id"], "one sample per token")
		out[labels["id"]] = labels
	}
	return out
}

func unixSeconds(d time.Time) string {
	return model.SampleValue(float64(d.UnixMilli()) / 1000).String()
}

// TestOpenMetricsKeepsHostileNamesAndOneSamplePerToken: names with quotes,
// backslashes, line breaks, escape sequences and invalid UTF-8 come back
// from the parsers as written (invalid bytes as U+FFFD); a token read
// twice has one sample; dates are Unix seconds with their milliseconds.
func TestOpenMetricsKeepsHostileNamesAndOneSamplePerToken(t *testing.T) {
	t.Parallel()
	expiry := time.Date(2030, 1, 2, 3, 4, 5, 678e6, time.UTC)
	used := time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	names := []string{
		`say "hi"`, `back\slash\`, "two\nlines", "cr\rlf", "\x1b]8;;https://evil.example\x07link\x1b]8;;\x07",
		"gpj.\u202eexe", "bad\xffutf8", `} bitbucket_access_tokens{finding="expired"} 1e9`, "",
	}
	var buf bytes.Buffer
	w := newOpenMetricsWriter(&buf)
	for i, name := range names {
		tok := audit.Token{
			Scope:       accesstokens.ProjectScope("PRJ"),
			AccessToken: accesstokens.AccessToken{ID: string(rune('a' + i)), Name: name, ExpiryDate: &expiry, User: &accesstokens.User{Slug: "bot"}},
			Findings:    []audit.Finding{audit.NeverUsed},
		}
		if i == 0 {
			tok.ExpiryDate, tok.LastAuthenticated, tok.Findings = nil, &used, []audit.Finding{audit.NoExpiry}
		}
		require.NoError(t, w.Write(tok))
		require.NoError(t, w.Write(tok), "the same token again, as from a scope listed twice")
	}
	require.NoError(t, w.Close(audit.Summary{Failed: []audit.ScopeFailure{{Scope: accesstokens.ProjectScope("X")}}}))

	families := parseOpenMetrics(t, buf.Bytes())
	expiries := samplesByID(t, families[metricExpiry])
	lastUsed := samplesByID(t, families[metricLastUsed])
	require.Len(t, expiries, len(names)-1, "no sample for the token that never expires")
	require.Len(t, lastUsed, 1, "no sample for tokens never used")
	assert.Equal(t, map[string]string{"scope": "project:PRJ", "id": "a", "name": `say "hi"`, "owner": "bot", "value": unixSeconds(used)}, lastUsed["a"])
	for i, name := range names[1:] {
		id := string(rune('b' + i))
		want := map[string]string{"scope": "project:PRJ", "id": id, "name": strings.ToValidUTF8(name, "\uFFFD"), "owner": "bot", "value": unixSeconds(expiry)}
		assert.Equal(t, want, expiries[id], "%q", name)
	}
	counts := map[string]float64{}
	for _, m := range families[metricFindings].GetMetric() {
		counts[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
	}
	assert.Len(t, counts, len(audit.AllFindings()), "every finding, 0 included")
	assert.Equal(t, float64(len(names)-1), counts[string(audit.NeverUsed)])
	assert.Equal(t, float64(1), counts[string(audit.NoExpiry)])
	assert.Equal(t, float64(0), counts[string(audit.Expired)])
	assert.Equal(t, float64(1), families[metricScopesFailed].GetMetric()[0].GetGauge().GetValue())
	assert.Equal(t, "seconds", families[metricExpiry].GetUnit())
}

// TestAuditOpenMetricsMatchesTheServer: audit -o openmetrics against the
// fake, parsed back: each token's expiry and last use are the server's
// dates, and a scope that cannot be read is counted (and exits 1).
func TestAuditOpenMetricsMatchesTheServer(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer(accesstokenstest.WithWorld(accesstokenstest.DemoWorld()))
	t.Cleanup(srv.Close)
	io, out, _ := testIO(false)
	code, err := exitCodeOf(runAudit(context.Background(), &AuditOptions{
		IO: io, Connect: connectTo(t, srv), Select: ScopeSelection{All: true}, Format: openMetricsFormat, Concurrency: 4,
	}))
	require.NoError(t, err)
	require.Equal(t, exitOK, code)

	families := parseOpenMetrics(t, out.Bytes())
	expiries := samplesByID(t, families[metricExpiry])
	lastUsed := samplesByID(t, families[metricLastUsed])
	tokens := srv.Tokens()
	require.NotEmpty(t, tokens)
	withExpiry, used := 0, 0
	for _, tok := range tokens {
		if tok.Expiry != nil {
			withExpiry++
			require.Contains(t, expiries, tok.ID)
			assert.Equal(t, unixSeconds(*tok.Expiry), expiries[tok.ID]["value"], tok.ID)
			assert.Equal(t, tok.Scope, expiries[tok.ID]["scope"])
			assert.Equal(t, tok.Name, expiries[tok.ID]["name"])
		}
		if tok.LastAuthenticated != nil {
			used++
			assert.Equal(t, unixSeconds(*tok.LastAuthenticated), lastUsed[tok.ID]["value"], tok.ID)
		}
	}
	assert.Len(t, expiries, withExpiry)
	assert.Len(t, lastUsed, used)
	assert.NotZero(t, used, "the demo world has used tokens")
	assert.Equal(t, float64(0), families[metricScopesFailed].GetMetric()[0].GetGauge().GetValue())

	io, out, _ = testIO(false)
	code, _ = exitCodeOf(runAudit(context.Background(), &AuditOptions{
		IO: io, Connect: connectTo(t, srv), Format: openMetricsFormat, Concurrency: 2,
		Select: ScopeSelection{Scopes: []accesstokens.Scope{accesstokens.ProjectScope("NOPE"), accesstokens.ProjectScope("GONE")}},
	}))
	assert.Equal(t, exitFailed, code)
	families = parseOpenMetrics(t, out.Bytes())
	assert.Equal(t, float64(2), families[metricScopesFailed].GetMetric()[0].GetGauge().GetValue())
}

func TestAuditOpenMetricsWriteErrorExitsOne(t *testing.T) {
	t.Parallel()
	srv, scopes := newAuditFake(t, 1)
	io, _, _ := testIO(false)
	io.Out = fullWriter{}
	code, err := exitCodeOf(runAudit(context.Background(), &AuditOptions{
		IO: io, Connect: connectTo(t, srv), Select: ScopeSelection{Scopes: scopes}, Format: openMetricsFormat, Concurrency: 1,
	}))
	assert.Equal(t, exitFailed, code)
	assert.ErrorContains(t, err, "no space left on device")
}

// BenchmarkOpenMetricsWriter writes an inventory of 10,000 tokens: the
// writer holds what the metrics need of each token until Close, so its
// memory grows with the inventory (B/op here, per 10,000 tokens).
func BenchmarkOpenMetricsWriter(b *testing.B) {
	expiry, used := time.Now().Add(90*24*time.Hour), time.Now()
	tokens := make([]audit.Token, 10_000)
	for i := range tokens {
		tokens[i] = audit.Token{
			Scope: accesstokens.RepoScope("PRJ", "repo-"+strconv.Itoa(i/10)),
			AccessToken: accesstokens.AccessToken{ID: strconv.Itoa(100_000_000_000 + i), Name: "ci-" + strconv.Itoa(i),
				ExpiryDate: &expiry, LastAuthenticated: &used, User: &accesstokens.User{Slug: "bot"}},
			Findings: []audit.Finding{audit.Expiring},
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		w := newOpenMetricsWriter(io.Discard)
		for _, t := range tokens {
			if err := w.Write(t); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(audit.Summary{}); err != nil {
			b.Fatal(err)
		}
	}
}

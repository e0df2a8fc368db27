package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func noEnv(string) string { return "" }

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// pointAt makes run() use srv as the real server, logged in as a demo user
// (whose password equals the name). Tests that call it cannot be parallel.
func pointAt(t *testing.T, srv *accesstokenstest.Server, user string) {
	t.Helper()
	t.Setenv("BITBUCKET_URL", srv.URL)
	t.Setenv("BITBUCKET_TOKEN", "")
	t.Setenv("BITBUCKET_USERNAME", user)
	t.Setenv("BITBUCKET_PASSWORD", user)
}

// decode parses the -json output, refusing fields the report does not define.
func decode(t *testing.T, b []byte) []record {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var records []record
	require.NoError(t, dec.Decode(&records), string(b))
	return records
}

func byName(records []record) map[string]record {
	m := make(map[string]record, len(records))
	for _, r := range records {
		m[r.Name] = r
	}
	return m
}

func TestClassifyFlagsExpiredExpiringAndUnusedTokens(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	th := thresholds{expiringWithin: 14 * day, unusedFor: 30 * day}
	cases := []struct {
		name     string
		created  time.Duration // relative to now
		expiry   *time.Time
		lastUsed *time.Time
		th       thresholds
		want     []string
	}{
		{name: "fresh, used, no expiry", created: -5 * day, lastUsed: at(-time.Hour), th: th},
		{name: "expires in a year, used yesterday", created: -100 * day, expiry: at(265 * day), lastUsed: at(-day), th: th},
		{name: "expired a day ago", created: -40 * day, expiry: at(-day), lastUsed: at(-2 * day), th: th, want: []string{flagExpired}},
		{name: "expires right now", created: -40 * day, expiry: at(0), lastUsed: at(-time.Minute), th: th, want: []string{flagExpired}},
		{name: "expired and never used gets only expired", created: -90 * day, expiry: at(-day), th: th, want: []string{flagExpired}},
		{name: "expires in 3 days", created: -20 * day, expiry: at(3 * day), lastUsed: at(-day), th: th, want: []string{flagExpiring}},
		{name: "expires in exactly 14 days", created: -20 * day, expiry: at(14 * day), lastUsed: at(-day), th: th, want: []string{flagExpiring}},
		{name: "expires in 14 days and a minute", created: -20 * day, expiry: at(14*day + time.Minute), lastUsed: at(-day), th: th},
		{name: "last used 31 days ago", created: -200 * day, lastUsed: at(-31 * day), th: th, want: []string{flagUnused}},
		{name: "last used exactly 30 days ago", created: -200 * day, lastUsed: at(-30 * day), th: th, want: []string{flagUnused}},
		{name: "last used 29 days ago", created: -200 * day, lastUsed: at(-29 * day), th: th},
		{name: "never used, created 30 days ago", created: -30 * day, th: th, want: []string{flagUnused}},
		{name: "never used, created 2 days ago", created: -2 * day, th: th},
		{name: "expiring and unused", created: -60 * day, expiry: at(2 * day), th: th, want: []string{flagExpiring, flagUnused}},
		{name: "checks turned off", created: -60 * day, expiry: at(2 * day), th: thresholds{}},
		{name: "expired even with checks off", created: -60 * day, expiry: at(-day), th: thresholds{}, want: []string{flagExpired}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok := accesstokens.AccessToken{
				ID: "000000000001", Name: tc.name, CreatedDate: now.Add(tc.created),
				ExpiryDate: tc.expiry, LastAuthenticated: tc.lastUsed,
			}
			assert.Equal(t, tc.want, classify(tok, now, tc.th))

			rec := newRecord(tok, now, tc.th)
			wantStatus := statusOK
			if len(tc.want) > 0 {
				wantStatus = tc.want[0]
			}
			assert.Equal(t, wantStatus, rec.Status)
			assert.NotNil(t, rec.Flags, "flags encode as [], never null")
		})
	}
}

func TestDemoJSONReportClassifiesTheSeededTokens(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(testContext(t), &out, []string{"-json"}, noEnv))

	records := decode(t, out.Bytes())
	require.Len(t, records, len(demoTokens))
	got := byName(records)
	demoNow := accesstokenstest.DefaultStartTime().Add(demoDays * day)

	want := map[string]struct {
		status string
		used   bool
	}{
		"legacy-deploy":   {flagExpired, true},
		"release-bot":     {flagExpiring, true},
		"old-integration": {flagUnused, true},
		"docs-preview":    {flagUnused, false},
		"ci-pipeline":     {statusOK, true},
		"new-webhook":     {statusOK, false},
	}
	for name, w := range want {
		r, ok := got[name]
		require.True(t, ok, "missing %s", name)
		assert.Equal(t, w.status, r.Status, name)
		assert.Equal(t, w.used, r.LastAuthenticated != nil, "%s: lastAuthenticated", name)
		assert.Regexp(t, `^\d{12}$`, r.ID)
	}
	assert.Equal(t, accesstokenstest.DefaultStartTime().AddDate(0, 0, 39), *got["ci-pipeline"].LastAuthenticated, "the last use wins")
	assert.Equal(t, 1, got["ci-pipeline"].IdleDays)
	assert.Nil(t, got["docs-preview"].Expiry)
	assert.Nil(t, got["docs-preview"].DaysToExpiry)
	assert.Equal(t, demoDays, got["docs-preview"].IdleDays, "never used: idle since creation")
	assert.Equal(t, 10, *got["release-bot"].DaysToExpiry)
	assert.Equal(t, -10, *got["legacy-deploy"].DaysToExpiry)
	assert.Equal(t, demoNow.AddDate(0, 0, -10), *got["legacy-deploy"].Expiry)

	var statuses []string
	for _, r := range records {
		statuses = append(statuses, r.Status)
	}
	assert.Equal(t, []string{flagExpired, flagExpiring, flagUnused, flagUnused, statusOK, statusOK}, statuses, "worst first")
	assert.Equal(t, "docs-preview", records[2].Name, "then by name")

	assert.NotContains(t, out.String(), "BBDC-", "no secret in the report")
	assert.NotContains(t, out.String(), `"token"`)
	assert.True(t, strings.HasPrefix(out.String(), "["), "-json prints only JSON")
}

func TestDemoJSONOutputIsStable(t *testing.T) {
	t.Parallel()
	var a, b bytes.Buffer
	require.NoError(t, run(testContext(t), &a, []string{"-json"}, noEnv))
	require.NoError(t, run(testContext(t), &b, []string{"-json"}, noEnv))
	assert.Equal(t, a.String(), b.String())
}

func TestDemoTextTableListsEveryTokenAligned(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(testContext(t), &out, nil, noEnv))
	text := out.String()

	assert.Contains(t, text, "Auditing project PRJ as admin.")
	assert.Regexp(t, `(?m)^ID\s+NAME\s+STATUS\s+EXPIRES\s+LAST USED\s+IDLE$`, text)
	for _, row := range []string{
		`\d{12}  legacy-deploy\s+expired\s+2026-01-31\s+2026-01-06\s+35d`,
		`\d{12}  release-bot\s+expiring\s+2026-02-20\s+2026-02-08\s+2d`,
		`\d{12}  docs-preview\s+unused\s+never\s+never\s+40d`,
		`\d{12}  old-integration\s+unused\s+never\s+2026-01-03\s+38d`,
		`\d{12}  ci-pipeline\s+ok\s+2027-01-01\s+2026-02-09\s+1d`,
		`\d{12}  new-webhook\s+ok\s+2026-05-06\s+never\s+5d`,
	} {
		assert.Regexp(t, regexp.MustCompile(`(?m)^`+row+`$`), text)
	}
	assert.Contains(t, text, "6 tokens of project PRJ as of 2026-02-10T00:00:00Z: 1 expired, 1 expiring within 14 days, 2 unused for 30 days or more, 2 ok")

	// Aligned: every column starts at the same offset on every table line.
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if regexp.MustCompile(`^(ID|\d{12}) `).MatchString(l) {
			lines = append(lines, l)
		}
	}
	require.Len(t, lines, 7)
	statusCol := strings.Index(lines[0], "STATUS")
	for _, l := range lines[1:] {
		assert.NotEqual(t, byte(' '), l[statusCol], "a status starts under STATUS: %q", l)
		assert.Equal(t, byte(' '), l[statusCol-1], "and is preceded by padding: %q", l)
	}
}

func TestNowAndThresholdFlagsChangeTheVerdicts(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	// Ten days before the demo's end, nothing has expired yet; with a 60-day
	// window every expiring token shows, and unused is turned off.
	args := []string{"-json", "-now", "2026-01-31T00:00:00Z", "-expiring-days", "60", "-unused-days", "0"}
	require.NoError(t, run(testContext(t), &out, args, noEnv))
	got := byName(decode(t, out.Bytes()))

	assert.Equal(t, flagExpired, got["legacy-deploy"].Status, "expiry is reached at 2026-01-31T00:00:00Z exactly")
	assert.Equal(t, flagExpiring, got["release-bot"].Status)
	assert.Equal(t, statusOK, got["docs-preview"].Status, "unused check is off")
	assert.Equal(t, statusOK, got["ci-pipeline"].Status, "expires in a year, outside 60 days")
}

func TestAuditPagesThroughEveryToken(t *testing.T) {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	srv.SeedTokens(accesstokenstest.ProjectScope("PRJ"), 60)
	pointAt(t, srv, "alice")

	var out bytes.Buffer
	args := []string{"-project", "PRJ", "-json", "-page-size", "7", "-now", srv.Now().Format(time.RFC3339)}
	require.NoError(t, run(testContext(t), &out, args, os.Getenv))

	records := decode(t, out.Bytes())
	require.Len(t, records, 60)
	ids := map[string]bool{}
	for _, r := range records {
		ids[r.ID] = true
		assert.Equal(t, statusOK, r.Status, "seeded now, never expiring: fine")
	}
	assert.Len(t, ids, 60, "every token exactly once")

	var starts []string
	for _, r := range srv.Requests() {
		require.Equal(t, http.MethodGet, r.Method, "an audit only reads")
		q, err := url.ParseQuery(r.Query)
		require.NoError(t, err)
		assert.Equal(t, "7", q.Get("limit"))
		starts = append(starts, q.Get("start"))
	}
	assert.Equal(t, []string{"", "7", "14", "21", "28", "35", "42", "49", "56"}, starts, "9 pages of at most 7")
}

func TestAuditOfPersonalTokensAgainstAServerUsesTheNowFlag(t *testing.T) {
	srv := accesstokenstest.NewServer(accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
	defer srv.Close()
	user := accesstokenstest.UserScope("alice")
	srv.IssueToken(user, "short", 10, "REPO_READ")
	srv.IssueToken(user, "forever", 0, "REPO_READ")
	pointAt(t, srv, "alice")

	var out bytes.Buffer
	now := srv.Now().AddDate(0, 0, 45).Format(time.RFC3339)
	require.NoError(t, run(testContext(t), &out, []string{"-user", "alice", "-now", now}, os.Getenv))

	text := out.String()
	assert.Regexp(t, `(?m)^\d{12}  short\s+expired\s`, text)
	assert.Regexp(t, `(?m)^\d{12}  forever\s+unused\s+never\s+never\s+45d$`, text)
	assert.Contains(t, text, "2 tokens of user alice as of 2026-02-15T00:00:00Z: 1 expired, 0 expiring within 14 days, 1 unused")
	assert.NotContains(t, text, "Started a fake", "a real server gets no demo")
}

func TestAuditReportsAListingFailure(t *testing.T) {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	pointAt(t, srv, "bob") // bob has no rights on PRJ

	err := run(testContext(t), &bytes.Buffer{}, []string{"-project", "PRJ"}, os.Getenv)

	require.ErrorIs(t, err, accesstokens.ErrUnauthorized)
	assert.Contains(t, err.Error(), "listing the tokens of project PRJ")
	assert.NotContains(t, err.Error(), tokenHint, "a password was used: no token hint")
}

func TestAuditWithATokenExplainsThatTokensCannotListOtherTokens(t *testing.T) {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	_, secret := srv.IssueToken(accesstokenstest.UserScope("alice"), "cli", 0, "PROJECT_ADMIN", "REPO_ADMIN")
	t.Setenv("BITBUCKET_URL", srv.URL)
	t.Setenv("BITBUCKET_TOKEN", secret)
	t.Setenv("BITBUCKET_USERNAME", "")
	t.Setenv("BITBUCKET_PASSWORD", "")

	err := run(testContext(t), &bytes.Buffer{}, []string{"-project", "PRJ"}, os.Getenv)

	require.ErrorIs(t, err, accesstokens.ErrUnauthorized)
	assert.Contains(t, err.Error(), "listing the tokens of project PRJ")
	assert.Contains(t, err.Error(), "tokens cannot manage or list other tokens; use BITBUCKET_USERNAME/BITBUCKET_PASSWORD")
	assert.NotContains(t, err.Error(), secret)
}

// TestBinaryExitsOneOnSIGTERM holds the program's first listing request and sends SIGTERM once
// it has arrived: the program must stop cleanly, with status 1 and a message, not be killed.
func TestBinaryExitsOneOnSIGTERM(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "audit")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	outb, err := build.CombinedOutput()
	require.NoError(t, err, string(outb))

	arrived := make(chan struct{}, 1)
	hold := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-r.Context().Done() // answer nothing until the client goes away
	}))
	defer hold.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-project", "PRJ")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"BITBUCKET_URL=" + hold.URL, "BITBUCKET_USERNAME=alice", "BITBUCKET_PASSWORD=alice"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	select {
	case <-arrived:
	case <-ctx.Done():
		t.Fatal("the listing request never arrived")
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	err = cmd.Wait()

	var exitErr *exec.ExitError
	require.True(t, errors.As(err, &exitErr), "want a non-zero exit, got %v", err)
	assert.Equal(t, 1, exitErr.ExitCode(), "the program handled SIGTERM; stderr:\n%s", stderr.String())
	assert.Contains(t, stderr.String(), "audit: listing the tokens of project PRJ: ")
	// Depending on where the signal finds the request, net/http reports the
	// context's error or its cause (Go names the signal).
	assert.Regexp(t, `context canceled|terminated signal received`, stderr.String())
}

func TestRunRefusesBadArguments(t *testing.T) {
	t.Parallel()
	realServer := func(k string) string {
		if k == "BITBUCKET_URL" {
			return "http://127.0.0.1:1" // never contacted: the arguments are refused first
		}
		return ""
	}
	cases := []struct {
		name   string
		args   []string
		getenv func(string) string
		want   string
	}{
		{"user and project", []string{"-user", "alice", "-project", "PRJ"}, noEnv, "not both"},
		{"repo without project", []string{"-repo", "repo"}, noEnv, "-repo needs -project"},
		{"no scope on a real server", nil, realServer, "choose what to audit"},
		{"negative expiring days", []string{"-expiring-days", "-1"}, noEnv, "-expiring-days must not be negative"},
		{"negative unused days", []string{"-unused-days", "-3"}, noEnv, "-unused-days must not be negative"},
		{"negative page size", []string{"-page-size", "-3"}, noEnv, "-page-size must not be negative"},
		{"bad now", []string{"-now", "yesterday"}, noEnv, `-now "yesterday" is not an RFC 3339 time`},
		{"stray argument", []string{"PRJ"}, noEnv, `unexpected argument "PRJ"`},
		{"unknown flag", []string{"-csv"}, noEnv, "flag provided but not defined: -csv"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := run(testContext(t), &bytes.Buffer{}, tc.args, tc.getenv)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestPrintableKeepsControlCharactersOutOfTheTable(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "a?b?c?[31m", printable("a\tb\nc\x1b[31m"))
	assert.Equal(t, "déploiement", printable("déploiement"))
}

func TestBinaryRunsTheDemoWithNoSetupAndExitsOneOnError(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "audit")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	outb, err := build.CombinedOutput()
	require.NoError(t, err, string(outb))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()} // no BITBUCKET_* at all

	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = env
	outb, err = cmd.CombinedOutput()
	require.NoError(t, err, string(outb))
	assert.Contains(t, string(outb), "6 tokens of project PRJ as of 2026-02-10T00:00:00Z: 1 expired")

	cmd = exec.CommandContext(ctx, bin, "-now", "soon")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exitErr *exec.ExitError
	require.True(t, errors.As(err, &exitErr), "want a non-zero exit, got %v", err)
	assert.Equal(t, 1, exitErr.ExitCode())
	assert.Contains(t, stderr.String(), `audit: -now "soon" is not an RFC 3339 time`)
}

func TestFloorDaysRoundsDownSoJustExpiredIsNegative(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]int{
		0: 0, time.Hour: 0, day: 1, day + time.Hour: 1,
		-time.Hour: -1, -day: -1, -day - time.Minute: -2,
	} {
		assert.Equal(t, want, floorDays(d), "%v", d)
	}
}

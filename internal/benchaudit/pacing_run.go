package main

// One run behind a rate limit, for the pacing section: the accesstokens
// command as an admin runs it (credentials in BITBUCKET_URL,
// BITBUCKET_USERNAME and BITBUCKET_PASSWORD, no other flag unless the case
// names one), or the SDK's 429 hold alone through audit.Run for comparison;
// what the fake answered (its request log), and whether the output holds
// every token of the fake's world (its token list).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/audit"
)

// pacedRun is what one run behind a limit did.
type pacedRun struct {
	wall              time.Duration
	exit              int
	requests, limited int      // answers the fake gave, and how many were 429
	read              []string // the tokens in the output, "scope id", sorted
	stderr            string   // the end of what the command said
}

// served is the requests the fake answered other than 429.
func (r pacedRun) served() int { return r.requests - r.limited }

// share is the share of requests answered 429.
func (r pacedRun) share() float64 { return float64(r.limited) / float64(max(r.requests, 1)) }

// leastTime is the least time a bucket of burst refilled at refill a second
// (both summed over a cluster's nodes) lets a client take for served
// requests: the burst at once, the rest at the refill.
func leastTime(served int, burst, refill float64) time.Duration {
	return time.Duration(max(0, float64(served)-burst) / refill * float64(time.Second))
}

// commandEnv is the environment an admin's run has: this one, with the
// server and the admin's credentials in the BITBUCKET_* variables.
func commandEnv(url string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "BITBUCKET_") })
	return append(env, "BITBUCKET_URL="+url, "BITBUCKET_USERNAME=admin", "BITBUCKET_PASSWORD=admin")
}

// runCommand runs `accesstokens ARGS...` against f, its stdout to a file of
// the work directory, and sends it an interrupt (Ctrl-C) after interruptAt
// when that is not 0. An exit status other than 0 is part of the result,
// not an error.
func (e *env) runCommand(ctx context.Context, f *fakeProc, args []string, interruptAt time.Duration) (pacedRun, error) {
	outPath := e.outPath("pacing.jsonl")
	r, err := e.runCommandTo(ctx, f, outPath, args, interruptAt)
	if err != nil {
		return r, err
	}
	r.read, err = tokensInJSONL(outPath)
	return r, err
}

// runCommandTo is runCommand with stdout to outPath, left unread.
func (e *env) runCommandTo(ctx context.Context, f *fakeProc, outPath string, args []string, interruptAt time.Duration) (pacedRun, error) {
	var r pacedRun
	if err := f.forgetRequests(ctx); err != nil {
		return r, err
	}
	out, err := os.Create(outPath)
	if err != nil {
		return r, err
	}
	defer out.Close()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, e.at, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = commandEnv(f.url), out, &stderr
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	if interruptAt > 0 {
		interrupt := time.AfterFunc(interruptAt, func() { _ = cmd.Process.Signal(os.Interrupt) })
		defer interrupt.Stop()
	}
	err = cmd.Wait()
	r.wall = time.Since(began)
	if err != nil && !errors.As(err, new(*exec.ExitError)) {
		return r, fmt.Errorf("accesstokens %s: %w", strings.Join(args, " "), err)
	}
	r.exit, r.stderr = cmd.ProcessState.ExitCode(), tail(stderr.String(), 600)
	r.requests, r.limited, err = f.answers(ctx)
	return r, err
}

// runHoldAlone reads every scope of f's world through audit.Run, as admin,
// with 8 workers, by an SDK client with the 429 hold alone
// (WithRateLimit(0, 1)) and WithReadPatience(15m): how the command paced
// before the learned pace.
func (e *env) runHoldAlone(ctx context.Context, f *fakeProc) (pacedRun, error) {
	var r pacedRun
	if err := f.forgetRequests(ctx); err != nil {
		return r, err
	}
	client, err := accesstokens.NewClient(f.url, accesstokens.WithBasicAuth("admin", "admin"),
		accesstokens.WithReadPatience(15*time.Minute), accesstokens.WithRateLimit(0, 1))
	if err != nil {
		return r, err
	}
	began := time.Now()
	targets, err := audit.Targets(ctx, client.Directory)
	if err != nil {
		return r, err
	}
	sum, err := audit.Run(ctx, client.Tokens, targets, audit.Options{Concurrency: 8}, func(t audit.Token) error {
		r.read = append(r.read, t.Scope.String()+" "+t.ID)
		return nil
	})
	if err != nil {
		return r, err
	}
	r.wall = time.Since(began)
	if len(sum.Failed) > 0 {
		r.exit = 1
	}
	slices.Sort(r.read)
	r.requests, r.limited, err = f.answers(ctx)
	return r, err
}

// answers counts the fake's answers since forgetRequests, and the 429s.
func (f *fakeProc) answers(ctx context.Context) (requests, limited int, err error) {
	records, err := f.requests(ctx)
	for _, rec := range records {
		if rec.Status == http.StatusTooManyRequests {
			limited++
		}
	}
	return len(records), limited, err
}

// worldTokens is every token the fake holds, "scope id", sorted.
func (f *fakeProc) worldTokens(ctx context.Context) ([]string, error) {
	var tokens []struct{ ID, Scope string }
	if err := f.control(ctx, http.MethodGet, "/tokens", http.StatusOK, &tokens); err != nil {
		return nil, err
	}
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = t.Scope + " " + t.ID
	}
	slices.Sort(out)
	return out, nil
}

// tokensInJSONL reads the tokens of an audit's jsonl output, "scope id",
// sorted: every line with an id (the summary line has none).
func tokensInJSONL(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct{ Scope, ID string }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if line.ID != "" {
			out = append(out, line.Scope+" "+line.ID)
		}
	}
	slices.Sort(out)
	return out, sc.Err()
}

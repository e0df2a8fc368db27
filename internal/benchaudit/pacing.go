package main

// The pacing section: a whole-server audit behind the fake's rate limit,
// read through audit.Run by an SDK client with WithAdaptiveRateLimit (and
// WithReadPatience, as a read-only command uses it) and 8 workers, against
// the least time the limit allows, (requests answered - burst) / refill.
// Beside it, the same audit with the 429 hold alone (WithRateLimit(0, 1), the
// command's pacing before the learned pace), and hard cases: a refill so
// fast that a whole-second Retry-After overfills the bucket, a server that
// answers slowly and never says 429 (the learned pace must not slow it),
// and, when the fake offers them, a cluster of two nodes with a bucket each
// and X-RateLimit headers.

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/audit"
)

// pacingCase is one fake to audit behind, with the clients to compare.
type pacingCase struct {
	name      string
	world     string
	rateLimit string   // BURST:REFILL, "" for none
	fakeFlags []string // more flags for the fake; nil and needs set: found in its -h
	needs     string   // a fake flag this case needs, matched in -h by this pattern; "" for none
	nodes     int      // the fake's cluster nodes, each with its own bucket
	delay     time.Duration
	clients   []pacingClient
}

// pacingClient is one way to configure the SDK's client.
type pacingClient struct {
	name string
	opts []accesstokens.Option
}

var (
	learnedPace = pacingClient{"learned pace (WithAdaptiveRateLimit)", []accesstokens.Option{accesstokens.WithAdaptiveRateLimit()}}
	holdAlone   = pacingClient{"429 hold alone (WithRateLimit(0, 1))", []accesstokens.Option{accesstokens.WithRateLimit(0, 1)}}
	noPacing    = pacingClient{"no pacing option", nil}
)

// pacingCases are the full plan's; the small plan's are quick versions.
func pacingCases(small bool) []pacingCase {
	world, fastWorld := "20x5x100x3", "200x10x800x3" // 221 scopes, 224 requests; 3,041 scopes
	if small {
		world, fastWorld = "4x2x10x1", "4x2x10x1"
		return []pacingCase{
			{name: "Bitbucket's bucket, small", world: world, rateLimit: "10:40", clients: []pacingClient{learnedPace, holdAlone}},
			{name: "a slow server without a rate limit, small", world: world, delay: 5 * time.Millisecond, clients: []pacingClient{learnedPace, noPacing}},
		}
	}
	both := []pacingClient{learnedPace, holdAlone}
	return []pacingCase{
		{name: "Bitbucket's default bucket, 60 refilled at 5 a second", world: world, rateLimit: "60:5", clients: both},
		{name: "a smaller bucket, 30 refilled at 2 a second", world: world, rateLimit: "30:2", clients: []pacingClient{learnedPace}},
		{name: "a fast refill, 100 at 200 a second (a whole-second Retry-After overfills the bucket)", world: fastWorld, rateLimit: "100:200", clients: both},
		{name: "a slow server (every answer 20 ms late) without a rate limit", world: world, delay: 20 * time.Millisecond, clients: []pacingClient{learnedPace, noPacing}},
		{name: "two cluster nodes, a bucket of 60 refilled at 5 a second each", world: world, rateLimit: "60:5", nodes: 2, needs: `node`, clients: both},
		{name: "Bitbucket's default bucket, with X-RateLimit headers", world: world, rateLimit: "60:5", needs: `rate-?limit-?headers`, clients: []pacingClient{learnedPace}},
	}
}

// pacingRun is what one audit behind a limit did.
type pacingRun struct {
	wall              time.Duration
	requests, limited int // answers the fake gave, and how many were 429
	tokens, failed    int // tokens read, scopes that could not be read
}

func (e *env) pacing(ctx context.Context) error {
	e.printf("### Pacing that learns the server: an audit behind the fake's rate limit\n\n")
	e.printf("Every scope of the world audited through `audit.Run` with 8 workers by an SDK client with `WithReadPatience(15m)` and the pacing named, each run on full buckets (`POST /_fake/reset`). ")
	e.printf("The least time the limit allows is (requests answered - burst) / refill, burst and refill summed over the nodes.\n\n")
	e.printf("| case | client | requests | answered 429 | failed scopes | wall | least possible | wall/least |\n")
	e.printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	help, _ := exec.CommandContext(ctx, e.fake, "-h").CombinedOutput()
	var skipped []string
	for _, pc := range pacingCases(e.plan.small) {
		flags := append([]string(nil), pc.fakeFlags...)
		if pc.rateLimit != "" {
			flags = append(flags, "-rate-limit", pc.rateLimit)
		}
		if pc.needs != "" {
			flag, ok := fakeFlag(string(help), pc.needs)
			if !ok {
				skipped = append(skipped, fmt.Sprintf("%s: the fake has no flag for it yet (no -%s… in `accesstokens-fake -h`)", pc.name, pc.needs))
				continue
			}
			if pc.nodes > 0 {
				flags = append(flags, "-"+flag, strconv.Itoa(pc.nodes))
			} else {
				flags = append(flags, "-"+flag)
			}
		}
		if err := e.pacingCase(ctx, pc, flags); err != nil {
			return fmt.Errorf("%s: %w", pc.name, err)
		}
	}
	e.printf("\nOne run per row: the rate limit, not the machine, sets these times.\n\n")
	for _, s := range skipped {
		e.printf("Not measured: %s.\n\n", s)
	}
	return nil
}

// fakeFlag finds a flag of the fake whose name matches pattern in its -h.
func fakeFlag(help, pattern string) (string, bool) {
	m := regexp.MustCompile(`(?m)^\s+-(\S*` + pattern + `\S*)`).FindStringSubmatch(help)
	if m == nil {
		return "", false
	}
	return m[1], true
}

func (e *env) pacingCase(ctx context.Context, pc pacingCase, flags []string) error {
	f, err := e.startFake(ctx, pc.world, flags...)
	if err != nil {
		return err
	}
	defer f.stop()
	burst, refill := 0.0, 0.0
	if pc.rateLimit != "" {
		b, r, _ := strings.Cut(pc.rateLimit, ":")
		burst, _ = strconv.ParseFloat(b, 64)
		refill, _ = strconv.ParseFloat(r, 64)
		nodes := float64(max(pc.nodes, 1))
		burst, refill = burst*nodes, refill*nodes
	}
	var walls []time.Duration
	for _, client := range pc.clients {
		if err := f.reset(ctx); err != nil {
			return err
		}
		if pc.delay > 0 {
			if err := f.slowEveryAnswer(ctx, pc.delay); err != nil {
				return err
			}
		}
		if err := f.forgetRequests(ctx); err != nil {
			return err
		}
		r, err := pacedAudit(ctx, f, client.opts)
		if err != nil {
			return err
		}
		if r.failed == 0 && r.tokens != f.tokens {
			return fmt.Errorf("%s read %d tokens; the world has %d", client.name, r.tokens, f.tokens)
		}
		walls = append(walls, r.wall)
		e.progress("pacing, %s, %s: %s, %d requests, %d answered 429, %d failed scopes", pc.name, client.name, secs(r.wall), r.requests, r.limited, r.failed)
		least, ratio := "", ""
		if refill > 0 {
			l := time.Duration((float64(r.requests-r.limited) - burst) / refill * float64(time.Second))
			least, ratio = secs(l), fmt.Sprintf("%.3f", r.wall.Seconds()/l.Seconds())
		}
		e.printf("| %s | %s | %d | %d (%.1f%%) | %d | %s | %s | %s |\n", pc.name, client.name, r.requests, r.limited,
			100*float64(r.limited)/float64(r.requests), r.failed, secs(r.wall), least, ratio)
		if refill > 0 && client.name == learnedPace.name && pc.nodes == 0 && !strings.Contains(pc.name, "fast") {
			share := float64(r.limited) / float64(r.requests)
			ratio := r.wall.Seconds() / ((float64(r.requests-r.limited) - burst) / refill)
			e.goals = append(e.goals, goal{"pacing, " + pc.rateLimit + ": wall / least possible, share answered 429, failed scopes",
				fmt.Sprintf("%.3f, %.1f%%, %d", ratio, 100*share, r.failed), "<= 1.10, <= 5%, 0", ratio <= 1.10 && share <= 0.05 && r.failed == 0})
		}
	}
	if pc.delay > 0 && len(walls) == 2 {
		e.printf("| %s | learned pace / no option, wall | | | | %.3f | | |\n", pc.name, walls[0].Seconds()/walls[1].Seconds())
	}
	return nil
}

// pacedAudit audits every scope of f's world through audit.Run, as admin,
// with 8 workers and opts, and counts what the fake answered.
func pacedAudit(ctx context.Context, f *fakeProc, opts []accesstokens.Option) (pacingRun, error) {
	all := append([]accesstokens.Option{accesstokens.WithBasicAuth("admin", "admin"), accesstokens.WithReadPatience(15 * time.Minute)}, opts...)
	client, err := accesstokens.NewClient(f.url, all...)
	if err != nil {
		return pacingRun{}, err
	}
	began := time.Now()
	targets, err := audit.Targets(ctx, client.Directory)
	if err != nil {
		return pacingRun{}, err
	}
	var r pacingRun
	sum, err := audit.Run(ctx, client.Tokens, targets, audit.Options{Concurrency: 8}, func(audit.Token) error { r.tokens++; return nil })
	if err != nil {
		return pacingRun{}, err
	}
	r.wall, r.failed = time.Since(began), len(sum.Failed)
	records, err := f.requests(ctx)
	if err != nil {
		return pacingRun{}, err
	}
	for _, rec := range records {
		r.requests++
		if rec.Status == http.StatusTooManyRequests {
			r.limited++
		}
	}
	return r, nil
}

// slowEveryAnswer makes the fake answer every request d late.
func (f *fakeProc) slowEveryAnswer(ctx context.Context, d time.Duration) error {
	body := fmt.Sprintf(`{"delay":%q,"times":100000}`, d.String())
	return f.controlWith(ctx, http.MethodPost, "/faults", body, http.StatusOK)
}

package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// goal is one of the measurement's targets, as measured.
type goal struct {
	name, measured, target string
	met                    bool
}

// throughput runs the baseline and the audit back to back at each
// concurrency, alternating which goes first from round to round, and checks
// that the server saw the same requests from both.
func (e *env) throughput(ctx context.Context) error {
	f, err := e.startFake(ctx, e.plan.world)
	if err != nil {
		return err
	}
	defer f.stop()
	type cell struct{ base, audit []result }
	cells := make([]cell, len(e.plan.concurrency))
	for round := range e.plan.rounds {
		for i, c := range e.plan.concurrency {
			b, a, err := e.pair(ctx, f, c, round%2 == 1)
			if err != nil {
				return err
			}
			cells[i].base, cells[i].audit = append(cells[i].base, b), append(cells[i].audit, a)
			e.progress("concurrency %d, round %d: baseline %.0f req/s, audit %.0f req/s (%d requests)", c, round+1, b.rps(), a.rps(), a.requests)
		}
	}

	e.printf("### Throughput: `accesstokens audit --all -o jsonl` and the hand-written loop\n\n")
	e.printf("World `-world %s`: %d tokens; %d requests per run, the same for both (checked on the fake's request log).\n\n",
		f.world, f.tokens, cells[0].audit[0].requests)
	e.printf("| concurrency | baseline req/s | audit req/s | audit/baseline | paired | baseline wall | audit wall | baseline CPU | audit CPU | fake CPU (baseline run) | fake CPU (audit run) | baseline RSS | audit RSS |\n")
	e.printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	worst := 0.0
	for i, c := range e.plan.concurrency {
		b, a := cells[i].base, cells[i].audit
		paired := make([]float64, len(b))
		for r := range b {
			paired[r] = a[r].rps() / b[r].rps()
		}
		bRPS, aRPS := median(b, result.rps), median(a, result.rps)
		p := medianOf(paired)
		if i == 0 || p < worst {
			worst = p
		}
		e.printf("| %d | %.0f | %.0f | %.2f | %.2f | %s | %s | %s | %s | %s | %s | %s | %s |\n", c, bRPS, aRPS, aRPS/bRPS, p,
			secs(medianDur(b, wallOf)), secs(medianDur(a, wallOf)),
			secs(medianDur(b, cpuOf)), secs(medianDur(a, cpuOf)),
			secs(medianDur(b, fakeCPUOf)), secs(medianDur(a, fakeCPUOf)),
			mb(median(b, rssOf)), mb(median(a, rssOf)))
	}
	e.printf("\nReq/s and times are medians of the rounds; \"paired\" is the median of each round's audit/baseline ratio. CPU is user + system seconds of the whole process.\n\n")
	e.goals = append(e.goals, goal{"1. throughput, audit/baseline req/s (worst concurrency, paired)", fmt.Sprintf("%.2f", worst), ">= 0.80", worst >= 0.8})
	return nil
}

// pair runs the baseline and the audit at concurrency c, the audit first
// when auditFirst.
func (e *env) pair(ctx context.Context, f *fakeProc, c int, auditFirst bool) (b, a result, err error) {
	runBase := func() error { b, err = e.baseline(ctx, f, c); return err }
	runAudit := func() error { a, err = e.audit(ctx, f, "jsonl", c); return err }
	order := []func() error{runBase, runAudit}
	if auditFirst {
		slices.Reverse(order)
	}
	for _, step := range order {
		if err := step(); err != nil {
			return b, a, err
		}
	}
	if a.failedScopes > 0 {
		return b, a, fmt.Errorf("the audit could not read %d scopes", a.failedScopes)
	}
	if diff := sameRequests(b, a, "the baseline", "the audit"); diff != "" {
		return b, a, fmt.Errorf("not the same requests at concurrency %d: %s", c, diff)
	}
	if b.tokens != a.tokens || b.scopes != a.scopes {
		return b, a, fmt.Errorf("the baseline read %d tokens of %d scopes, the audit %d of %d", b.tokens, b.scopes, a.tokens, a.scopes)
	}
	return b, a, nil
}

// rateLimit audits a world behind the fake's rate limit: told the server's
// rate (--rate REFILL), and not told (no --rate: the pace the command
// learns from the 429s).
func (e *env) rateLimit(ctx context.Context) error {
	burstS, refillS, _ := strings.Cut(e.plan.rateLimit, ":")
	burst, err1 := strconv.Atoi(burstS)
	refill, err2 := strconv.ParseFloat(refillS, 64)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("rate limit %q: want BURST:REFILL", e.plan.rateLimit)
	}
	f, err := e.startFake(ctx, e.plan.rateWorld, "-rate-limit", e.plan.rateLimit)
	if err != nil {
		return err
	}
	defer f.stop()
	e.printf("### Rate limit: the fake's per-user bucket of %d, refilled at %s a second\n\n", burst, refillS)
	e.printf("World `-world %s`: %d tokens; `accesstokens audit --all -o jsonl --concurrency 8`, each run on a full bucket (`POST /_fake/reset`).\n", f.world, f.tokens)
	e.printf("The least time the limit allows is (requests - burst) / refill, with the requests answered 200.\n\n")
	e.printf("| flags | requests | answered 429 | failed scopes | wall | least possible | wall/least |\n")
	e.printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	type variant struct {
		name, short string
		flags       []string
	}
	variants := []variant{{"`--rate " + refillS + "` (the server's refill)", "--rate " + refillS, []string{"--rate", refillS}}}
	if e.plan.rateUnpaced {
		variants = append(variants, variant{"no `--rate` (the pace it learns)", "no --rate", nil})
	}
	for _, v := range variants {
		var runs []result
		for round := range e.plan.rateRounds {
			if err := f.reset(ctx); err != nil {
				return err
			}
			r, err := e.auditAllowingFailures(ctx, f, v.flags...)
			if err != nil {
				return err
			}
			runs = append(runs, r)
			e.progress("rate limit, %s, round %d: %s, %d requests, %d answered 429, %d failed scopes", v.name, round+1, secs(r.wall), r.requests, r.throttled, r.failedScopes)
		}
		slices.SortFunc(runs, func(x, y result) int { return int(x.wall - y.wall) })
		r := runs[len(runs)/2] // the median run by wall time
		least := time.Duration(float64(r.requests-r.throttled-burst) / refill * float64(time.Second))
		ratio := r.wall.Seconds() / least.Seconds()
		share := float64(r.throttled) / float64(r.requests)
		e.printf("| %s | %d | %d (%.1f%%) | %d | %s | %s | %.2f |\n", v.name, r.requests, r.throttled, 100*share, r.failedScopes, secs(r.wall), secs(least), ratio)
		if v.flags != nil {
			e.goals = append(e.goals, goal{"2. rate limit, wall / least possible (" + v.short + ")",
				fmt.Sprintf("%.2f, %.1f%% answered 429, %d failed scopes", ratio, 100*share, r.failedScopes), "<= 1.15, <= 2%, 0",
				ratio <= 1.15 && share <= 0.02 && r.failedScopes == 0})
		}
	}
	e.printf("\n%d run(s) per row (the median by wall time is shown): the rate limit, not the machine, sets these times.\n\n", e.plan.rateRounds)
	return nil
}

// auditAllowingFailures is an audit that may end with scopes it could not
// read (exit status 1): under a rate limit, that is a result.
func (e *env) auditAllowingFailures(ctx context.Context, f *fakeProc, flags ...string) (result, error) {
	r, err := e.audit(ctx, f, "jsonl", 8, flags...)
	var ce *clientError
	if errors.As(err, &ce) && ce.code == 1 && r.failedScopes > 0 {
		return r, nil
	}
	return r, err
}

// memory measures the audit's peak RSS on a world of about 10k tokens and
// one of about 40k, with -o jsonl and -o json.
func (e *env) memory(ctx context.Context) error {
	type row struct {
		world       string
		tokens      int
		jsonl, json int64
		baselineRSS int64
	}
	var rows []row
	for _, world := range e.plan.memWorlds {
		f, err := e.startFake(ctx, world)
		if err != nil {
			return err
		}
		var jsonl, json, base []result
		for range e.plan.rounds {
			for _, format := range []string{"jsonl", "json"} {
				r, err := e.audit(ctx, f, format, 8)
				if err != nil {
					f.stop()
					return err
				}
				if format == "jsonl" {
					jsonl = append(jsonl, r)
				} else {
					json = append(json, r)
				}
			}
			b, err := e.baseline(ctx, f, 8)
			if err != nil {
				f.stop()
				return err
			}
			base = append(base, b)
		}
		f.stop()
		rows = append(rows, row{world, f.tokens, median(jsonl, rssOf), median(json, rssOf), median(base, rssOf)})
		e.progress("memory, %d tokens: jsonl %s, json %s, baseline %s", f.tokens, mb(rows[len(rows)-1].jsonl), mb(rows[len(rows)-1].json), mb(rows[len(rows)-1].baselineRSS))
	}
	e.printf("### Memory: peak RSS of `accesstokens audit --all --concurrency 8`\n\n")
	e.printf("| world | tokens | `-o jsonl` | `-o json` | hand-written loop (reads, writes nothing) |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, r := range rows {
		e.printf("| `%s` | %d | %s | %s | %s |\n", r.world, r.tokens, mb(r.jsonl), mb(r.json), mb(r.baselineRSS))
	}
	if len(rows) == 2 {
		ratio := float64(rows[1].jsonl) / float64(rows[0].jsonl)
		e.printf("\n`-o jsonl`: %.2fx the memory for %.1fx the tokens; `-o json`: %.2fx.\n\n", ratio,
			float64(rows[1].tokens)/float64(rows[0].tokens), float64(rows[1].json)/float64(rows[0].json))
		e.goals = append(e.goals, goal{"3. memory, jsonl peak RSS, large / small world",
			fmt.Sprintf("%.2f (%s at %d tokens)", ratio, mb(rows[1].jsonl), rows[1].tokens), "<= 1.20, < 64 MB",
			ratio <= 1.2 && rows[1].jsonl < 64<<20})
	}
	return nil
}

// scaling measures the audit's time per scope on a world of about 1k scopes
// and one of about 20k, the hand-written loop's beside it.
func (e *env) scaling(ctx context.Context) error {
	type row struct {
		world                string
		scopes, tokens, reqs int
		audit, base          time.Duration // per scope
		fakePerReq           time.Duration
	}
	var rows []row
	for _, world := range e.plan.scaleWorlds {
		f, err := e.startFake(ctx, world)
		if err != nil {
			return err
		}
		var audits, bases []result
		for round := range e.plan.rounds {
			b, a, err := e.pair(ctx, f, 8, round%2 == 1)
			if err != nil {
				f.stop()
				return err
			}
			audits, bases = append(audits, a), append(bases, b)
		}
		f.stop()
		a := audits[0]
		rows = append(rows, row{world, a.scopes, a.tokens, a.requests,
			medianDur(audits, result.perScope), medianDur(bases, result.perScope),
			medianDur(audits, func(r result) time.Duration { return r.fakeCPU / time.Duration(r.requests) })})
		e.progress("scaling, %d scopes: audit %s a scope", a.scopes, micros(rows[len(rows)-1].audit))
	}
	e.printf("### Scaling: time per scope, `accesstokens audit --all -o jsonl --concurrency 8`\n\n")
	e.printf("| world | scopes | tokens | requests | audit per scope | hand-written per scope | fake CPU per request (audit run) |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range rows {
		e.printf("| `%s` | %d | %d | %d | %s | %s | %s |\n", r.world, r.scopes, r.tokens, r.reqs, micros(r.audit), micros(r.base), micros(r.fakePerReq))
	}
	if len(rows) == 2 {
		ratio := float64(rows[1].audit) / float64(rows[0].audit)
		e.printf("\nPer scope: the whole run's wall time (process start, directory walk, every token list) over the scopes. Large / small: %.2f (hand-written: %.2f).\n\n",
			ratio, float64(rows[1].base)/float64(rows[0].base))
		e.goals = append(e.goals, goal{"4. scaling, time per scope, large / small world", fmt.Sprintf("%.2f", ratio), "<= 1.20", ratio <= 1.2})
	}
	return nil
}

// fakeCost measures one list request (a page of 25 of a project's tokens)
// on a fake holding about 1k tokens and one holding about 100k: the
// hand-written loop sends it costRequests times, one at a time.
func (e *env) fakeCost(ctx context.Context) error {
	const path = tokensAPI + "/projects/PLAT?limit=25"
	type row struct {
		world      string
		tokens     int
		wall, fake time.Duration // per request
	}
	var rows []row
	for _, world := range e.plan.costWorlds {
		f, err := e.startFake(ctx, world)
		if err != nil {
			return err
		}
		var runs []result
		for range e.plan.rounds {
			r, err := e.baseline(ctx, f, 1, "-repeat-path", path, "-repeat", strconv.Itoa(e.plan.costRequests))
			if err != nil {
				f.stop()
				return err
			}
			runs = append(runs, r)
		}
		f.stop()
		n := time.Duration(e.plan.costRequests)
		rows = append(rows, row{world, f.tokens, medianDur(runs, wallOf) / n, medianDur(runs, fakeCPUOf) / n})
	}
	e.printf("### The fake: one list request, with few and many tokens stored\n\n")
	e.printf("`GET %s`, %d times, one at a time, from the hand-written loop (a fresh process per run).\n\n", path, e.plan.costRequests)
	e.printf("| world | tokens stored | wall per request (client included) | fake CPU per request |\n| --- | ---: | ---: | ---: |\n")
	for _, r := range rows {
		e.printf("| `%s` | %d | %s | %s |\n", r.world, r.tokens, micros(r.wall), micros(r.fake))
	}
	if len(rows) == 2 {
		ratio := float64(rows[1].fake) / float64(rows[0].fake)
		e.printf("\nFake CPU per request, many / few tokens: %.2f (wall: %.2f).\n\n", ratio, float64(rows[1].wall)/float64(rows[0].wall))
		e.goals = append(e.goals, goal{"5. the fake, CPU per list request, many / few tokens", fmt.Sprintf("%.2f", ratio), "<= 1.20", ratio <= 1.2})
	}
	return nil
}

// startups lists how long each fake took to serve its world.
func (e *env) startups() {
	if len(e.fakes) == 0 {
		return
	}
	e.printf("### The fake: start-up\n\nFrom exec to the first line on stdout (the world is generated and the fake listens); each start, in order.\n\n")
	e.printf("| world | tokens | start-up |\n| --- | ---: | ---: |\n")
	var worst time.Duration
	var worstTokens int
	for _, f := range e.fakes {
		e.printf("| `%s` | %d | %s |\n", f.world, f.tokens, millis(f.startup))
		if f.world == e.plan.world && f.startup > worst {
			worst, worstTokens = f.startup, f.tokens
		}
	}
	e.printf("\n")
	if worstTokens > 0 {
		e.goals = append(e.goals, goal{"5. the fake, start-up of `-world " + e.plan.world + "` (slowest start)",
			fmt.Sprintf("%s (%d tokens)", millis(worst), worstTokens), "< 2 s (at 40k tokens)", worst < 2*time.Second})
	}
}

// targets sums up the measurement's targets.
func (e *env) targets() {
	e.printf("### The targets (one run, one machine; not asserted)\n\n")
	if e.plan.small {
		e.printf("Small worlds (-small): these runs only show that the measurement works; the targets are for the full run's worlds.\n\n")
	}
	e.printf("| target | measured | goal | met |\n| --- | --- | --- | --- |\n")
	for _, g := range e.goals {
		e.printf("| %s | %s | %s | %s |\n", g.name, g.measured, g.target, map[bool]string{true: "yes", false: "**no**"}[g.met])
	}
}

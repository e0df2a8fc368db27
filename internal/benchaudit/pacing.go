package main

// The pacing section (bench/pacing.sh): `accesstokens audit --all -o jsonl`
// as an admin runs it, with no flag, behind the fake's rate limits, against
// the least time each limit allows, (requests answered - burst) / refill;
// the share of requests answered 429; and whether it exits 0 with every
// token of the fake's world. Bitbucket's default bucket and a smaller one
// are held to the targets (at most 1.10x the least time, at most 5% of
// requests answered 429); the hard cases beside them: a refill so fast that
// a whole-second Retry-After overfills the bucket, slow servers (one that
// never says 429 must not be slowed), a cluster of two nodes with a bucket
// each, and X-RateLimit headers. Then the README's nightly CI line on the
// default bucket: exit 3 (findings), with and without --state/--resume,
// and cut off by Ctrl-C and resumed.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// pacingCase is one fake to audit behind.
type pacingCase struct {
	name          string
	world         string
	fakeFlags     []string      // -rate-limit and the rest, as the table shows them
	burst, refill float64       // the limit, summed over the nodes; refill 0: none
	delay         time.Duration // every answer this late
	goal          bool          // held to the targets
	holdAlone     bool          // also the SDK's 429 hold alone, once, for comparison
}

// The worlds: 221 scopes (226 requests with the directory's), and 3,041
// scopes for the fast refill, whose burst of 100 would otherwise be most of
// the audit; the small plan's, about 100 requests.
const (
	pacingWorld     = "20x5x100x3"
	fastRefillWorld = "200x10x800x3"
	smallPacedWorld = "8x3x60x1"
)

func pacingCases(small bool) []pacingCase {
	if small {
		return []pacingCase{
			{name: "Bitbucket's default bucket, 60 refilled at 5 a second (small world)", world: smallPacedWorld, fakeFlags: []string{"-rate-limit", "60:5"}, burst: 60, refill: 5},
			{name: "a slow server (every answer 20 ms late), no rate limit", world: smallPacedWorld, delay: 20 * time.Millisecond},
			{name: "a slow server (every answer 20 ms late), rate limiting on but never reached", world: smallPacedWorld, fakeFlags: []string{"-rate-limit", "100000:100000"}, delay: 20 * time.Millisecond},
		}
	}
	return []pacingCase{
		{name: "Bitbucket's default bucket, 60 refilled at 5 a second", world: pacingWorld, fakeFlags: []string{"-rate-limit", "60:5"}, burst: 60, refill: 5, goal: true, holdAlone: true},
		{name: "a smaller bucket, 30 refilled at 2 a second", world: pacingWorld, fakeFlags: []string{"-rate-limit", "30:2"}, burst: 30, refill: 2, goal: true},
		{name: "a fast refill, 100 at 200 a second (a whole-second Retry-After overfills the bucket)", world: fastRefillWorld, fakeFlags: []string{"-rate-limit", "100:200"}, burst: 100, refill: 200, holdAlone: true},
		{name: "the fast refill, with X-RateLimit headers", world: fastRefillWorld, fakeFlags: []string{"-rate-limit", "100:200", "-rate-limit-headers"}, burst: 100, refill: 200},
		{name: "Bitbucket's default bucket, every answer 100 ms late", world: pacingWorld, fakeFlags: []string{"-rate-limit", "60:5"}, burst: 60, refill: 5, delay: 100 * time.Millisecond},
		{name: "a slow server (every answer 20 ms late), no rate limit", world: pacingWorld, delay: 20 * time.Millisecond},
		{name: "a slow server (every answer 20 ms late), rate limiting on but never reached", world: pacingWorld, fakeFlags: []string{"-rate-limit", "100000:100000"}, delay: 20 * time.Millisecond},
		{name: "two cluster nodes, a bucket of 60 refilled at 5 a second on each", world: pacingWorld, fakeFlags: []string{"-rate-limit", "60:5", "-nodes", "2"}, burst: 120, refill: 10},
		{name: "Bitbucket's default bucket, with X-RateLimit headers", world: pacingWorld, fakeFlags: []string{"-rate-limit", "60:5", "-rate-limit-headers"}, burst: 60, refill: 5},
		{name: "two cluster nodes, with X-RateLimit headers (each node's)", world: pacingWorld, fakeFlags: []string{"-rate-limit", "60:5", "-nodes", "2", "-rate-limit-headers"}, burst: 120, refill: 10},
	}
}

// auditArgs is `accesstokens audit --all -o jsonl`: no flag but the output's.
var auditArgs = []string{"audit", "--all", "-o", "jsonl"}

func (e *env) pacing(ctx context.Context) error {
	e.printf("### Pacing that learns the server: `accesstokens audit --all -o jsonl`, no flag, behind the fake's rate limits\n\n")
	e.printf("Each run: the built command as an admin runs it (BITBUCKET_URL, BITBUCKET_USERNAME and BITBUCKET_PASSWORD set; 8 workers, its default), on full buckets (`POST /_fake/reset`); ")
	e.printf("requests and 429s from the fake's request log; its output checked against the fake's token list (`GET /_fake/tokens`). ")
	e.printf("The least time a limit allows is (requests answered - burst) / refill, burst and refill summed over the nodes. ")
	e.printf("%d round(s) of each case; the table gives medians, and the range of wall / least over the rounds.\n\n", e.plan.rounds)
	e.printf("| case | fake flags | client | requests | answered 429 | wall | least possible | wall / least (range) | exit, tokens |\n")
	e.printf("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n")
	var slow []time.Duration // the slow cases' median walls, in order
	for _, pc := range pacingCases(e.plan.small) {
		runs, world, err := e.pacingRounds(ctx, pc)
		if err != nil {
			return fmt.Errorf("%s: %w", pc.name, err)
		}
		e.pacingRow(pc, runs, world)
		if pc.refill == 0 {
			slow = append(slow, medianWall(runs["the command"]))
		}
	}
	if len(slow) == 2 {
		e.printf("\nThe slow server, rate limiting on but never reached / off: %.3f of the wall time (medians).\n", slow[1].Seconds()/slow[0].Seconds())
	}
	e.printf("\n")
	return e.nightly(ctx)
}

// pacingRounds audits pc's fake e.plan.rounds times with the command, and
// once with the SDK's hold alone when pc asks for it (last, so that the
// command's rounds come first). It fails when a run of the command does
// not exit 0 with every token of the world.
func (e *env) pacingRounds(ctx context.Context, pc pacingCase) (map[string][]pacedRun, []string, error) {
	f, err := e.startFake(ctx, pc.world, pc.fakeFlags...)
	if err != nil {
		return nil, nil, err
	}
	defer f.stop()
	runs := map[string][]pacedRun{}
	var world []string
	for round := range e.plan.rounds + boolInt(pc.holdAlone) {
		if world, err = e.prepare(ctx, f, pc.delay); err != nil {
			return nil, nil, err
		}
		client, r := "the command", pacedRun{}
		if round < e.plan.rounds {
			r, err = e.runCommand(ctx, f, auditArgs, 0)
		} else {
			client = "hold alone"
			r, err = e.runHoldAlone(ctx, f)
		}
		if err != nil {
			return nil, nil, err
		}
		e.progress("pacing, %s, %s: %s, %d requests, %d answered 429, exit %d, %d of %d tokens", pc.name, client, secs(r.wall), r.requests, r.limited, r.exit, len(r.read), len(world))
		if r.exit != 0 || !slices.Equal(r.read, world) {
			return nil, nil, fmt.Errorf("%s: exit %d with %d of the world's %d tokens:\n%s", client, r.exit, len(r.read), len(world), r.stderr)
		}
		runs[client] = append(runs[client], r)
	}
	return runs, world, nil
}

// prepare puts f's world back with full buckets, slows every answer by
// delay (0: none), and returns the world's tokens.
func (e *env) prepare(ctx context.Context, f *fakeProc, delay time.Duration) ([]string, error) {
	if err := f.reset(ctx); err != nil {
		return nil, err
	}
	if delay > 0 {
		if err := f.slowEveryAnswer(ctx, delay); err != nil {
			return nil, err
		}
	}
	return f.worldTokens(ctx)
}

// pacingRow prints pc's rows: the command's rounds, then the hold alone's.
func (e *env) pacingRow(pc pacingCase, runs map[string][]pacedRun, world []string) {
	flags := "none"
	if len(pc.fakeFlags) > 0 {
		flags = "`" + strings.Join(pc.fakeFlags, " ") + "`"
	}
	if pc.delay > 0 {
		flags += fmt.Sprintf(", %s delay (control API)", pc.delay)
	}
	for _, client := range []string{"the command", "hold alone"} {
		rs := runs[client]
		if len(rs) == 0 {
			continue
		}
		name := "`accesstokens audit --all -o jsonl`"
		if client == "hold alone" {
			name = "the SDK's 429 hold alone (`WithRateLimit(0, 1)`, the command's pacing before the learned pace), through `audit.Run`"
		}
		requests, limited := medianInt(rs, func(r pacedRun) int { return r.requests }), medianInt(rs, func(r pacedRun) int { return r.limited })
		shares := mapRuns(rs, pacedRun.share)
		least, ratio := "", ""
		if pc.refill > 0 {
			ratios := mapRuns(rs, func(r pacedRun) float64 {
				return r.wall.Seconds() / leastTime(r.served(), pc.burst, pc.refill).Seconds()
			})
			least = secs(leastTime(requests-limited, pc.burst, pc.refill))
			ratio = fmt.Sprintf("%.3f (%.3f-%.3f)", medianOf(ratios), slices.Min(ratios), slices.Max(ratios))
			if pc.goal && client == "the command" {
				e.pacingGoal(pc, rs, ratios, shares, len(world))
			}
		}
		e.printf("| %s | %s | %s | %d | %d (%.1f%%; at most %.1f%%) | %s | %s | %s | 0, all %d, every run |\n", pc.name, flags, name,
			requests, limited, 100*medianOf(shares), 100*slices.Max(shares), secs(medianWall(rs)), least, ratio, len(world))
	}
}

// pacingGoal records a target case against the targets: at most 1.10x the
// least time and at most 5% of requests answered 429, in the median round
// and in the worst.
func (e *env) pacingGoal(pc pacingCase, rs []pacedRun, ratios, shares []float64, tokens int) {
	worstRatio, worstShare := slices.Max(ratios), slices.Max(shares)
	e.goals = append(e.goals, goal{
		name:     fmt.Sprintf("pacing, `%s`, %d rounds: wall / least, share answered 429 (median; worst round)", strings.Join(pc.fakeFlags, " "), len(rs)),
		measured: fmt.Sprintf("%.3f, %.1f%%; %.3f, %.1f%%; exit 0 with all %d tokens every round", medianOf(ratios), 100*medianOf(shares), worstRatio, 100*worstShare, tokens),
		target:   "<= 1.10, <= 5%",
		met:      worstRatio <= 1.10 && worstShare <= 0.05,
	})
}

// nightly runs the README's nightly CI line on Bitbucket's default bucket:
// as written, then with --state and --resume (no state file yet), then so
// cut off by Ctrl-C and run again to the end.
func (e *env) nightly(ctx context.Context) error {
	world := pacingWorld
	if e.plan.small {
		world = smallPacedWorld
	}
	f, err := e.startFake(ctx, world, "-rate-limit", "60:5")
	if err != nil {
		return err
	}
	defer f.stop()
	state := filepath.Join(e.dir, "audit.state")
	nightly := []string{"audit", "--all", "--fail-on", "expired,expiring", "-o", "jsonl"}
	withState := append(slices.Clone(nightly), "--state", state, "--resume")
	type step struct {
		what        string
		args        []string
		interruptAt time.Duration
		fresh       bool // on full buckets; the resumed run goes on from the cut-off one's
		wantExit    int
		wantAll     bool // the output holds every token of the world
	}
	steps := []step{
		{"as the README writes it", nightly, 0, true, 3, true},
		{"with `--state audit.state --resume` (no state file yet)", withState, 0, true, 3, true},
	}
	if !e.plan.small {
		steps = append(steps,
			step{"the same, cut off by Ctrl-C after 10 s", withState, 10 * time.Second, true, 1, false},
			step{"the same again, at once: it resumes", withState, 0, false, 3, true})
	}
	e.printf("#### The README's nightly CI line behind Bitbucket's default bucket (`-rate-limit 60:5`)\n\n")
	e.printf("`accesstokens audit --all --fail-on expired,expiring -o jsonl > tokens.jsonl`, world `-world %s`, one run each, in order; then the job's two revoke lines, on the buckets the audit left.\n\n", world)
	e.printf("| run | exit | wall | requests | answered 429 | tokens in the output | state file after |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |\n")
	var exits []string
	for _, s := range steps {
		var tokens []string
		if s.fresh {
			if tokens, err = e.prepare(ctx, f, 0); err != nil {
				return err
			}
		} else if tokens, err = f.worldTokens(ctx); err != nil {
			return err
		}
		r, err := e.runCommand(ctx, f, s.args, s.interruptAt)
		if err != nil {
			return err
		}
		_, statErr := os.Stat(state)
		kept := map[bool]string{true: "kept", false: "removed"}[statErr == nil]
		e.progress("nightly, %s: exit %d, %s, %d of %d tokens, state file %s", s.what, r.exit, secs(r.wall), len(r.read), len(tokens), kept)
		all := slices.Equal(r.read, tokens)
		if r.exit != s.wantExit || all != s.wantAll {
			return fmt.Errorf("nightly, %s: exit %d with %d of %d tokens (want exit %d, every token: %t):\n%s", s.what, r.exit, len(r.read), len(tokens), s.wantExit, s.wantAll, r.stderr)
		}
		e.printf("| %s | %d | %s | %d | %d | %d of %d | %s |\n", s.what, r.exit, secs(r.wall), r.requests, r.limited, len(r.read), len(tokens), kept)
		exits = append(exits, fmt.Sprint(r.exit))
	}
	revoked, err := e.nightlyRevoke(ctx, f)
	if err != nil {
		return err
	}
	e.printf("\n")
	// A run that ended otherwise stopped the measurement above.
	e.goals = append(e.goals, goal{"pacing, the README's nightly CI line on `-rate-limit 60:5`: exits, in the order above",
		strings.Join(exits, ", ") + "; every token in each complete run", "3 (findings), not 1; a cut-off run 1, its resumption 3", true})
	e.goals = append(e.goals, goal{"pacing, the nightly job's revoke lines on `-rate-limit 60:5`",
		fmt.Sprintf("exit 0, 0; all %d planned tokens revoked, none failed or skipped", revoked), "every planned token revoked", true})
	return nil
}

// nightlyRevoke runs the nightly job's revoke lines after its audit, on
// the same buckets: the plan of the expired tokens (`revoke --all --where
// expired -o json > plan.json`), then exactly that plan, acted on
// (`revoke --plan plan.json --yes -o json`). Both must exit 0, and the
// second revoke every planned token, failing and skipping none; it returns
// how many it revoked. Its rows join the nightly table.
func (e *env) nightlyRevoke(ctx context.Context, f *fakeProc) (int, error) {
	planPath, revokedPath := e.outPath("plan.json"), e.outPath("revoked.json")
	var plan struct{ Plan []struct{ ID, Scope string } }
	var result struct{ Revoked, Failed, Skipped []struct{ ID, Scope string } }
	steps := []struct {
		what, out string
		args      []string
		into      any
	}{
		{"`revoke --all --where expired -o json > plan.json`", planPath, []string{"revoke", "--all", "--where", "expired", "-o", "json"}, &plan},
		{"`revoke --plan plan.json --yes -o json > revoked.json`", revokedPath, []string{"revoke", "--plan", planPath, "--yes", "-o", "json"}, &result},
	}
	for i, s := range steps {
		r, err := e.runCommandTo(ctx, f, s.out, s.args, 0)
		if err != nil {
			return 0, err
		}
		if r.exit != 0 {
			return 0, fmt.Errorf("nightly, %s: exit %d:\n%s", s.what, r.exit, r.stderr)
		}
		body, err := os.ReadFile(s.out)
		if err == nil {
			err = json.Unmarshal(body, s.into)
		}
		if err != nil {
			return 0, fmt.Errorf("nightly, %s: %w", s.what, err)
		}
		outcome := fmt.Sprintf("%d planned", len(plan.Plan))
		if i == 1 {
			outcome = fmt.Sprintf("%d revoked of %d planned", len(result.Revoked), len(plan.Plan))
		}
		e.progress("nightly, %s: exit %d, %s, %s", s.what, r.exit, secs(r.wall), outcome)
		e.printf("| %s | %d | %s | %d | %d | %s | |\n", s.what, r.exit, secs(r.wall), r.requests, r.limited, outcome)
	}
	if len(plan.Plan) == 0 || len(result.Revoked) != len(plan.Plan) || len(result.Failed)+len(result.Skipped) > 0 {
		return 0, fmt.Errorf("nightly, the revoke lines: %d planned, %d revoked, %d failed, %d skipped (want every planned token revoked, some planned)",
			len(plan.Plan), len(result.Revoked), len(result.Failed), len(result.Skipped))
	}
	return len(result.Revoked), nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func medianWall(rs []pacedRun) time.Duration {
	return time.Duration(medianOf(mapRuns(rs, func(r pacedRun) float64 { return float64(r.wall) })))
}

func medianInt(rs []pacedRun, f func(pacedRun) int) int {
	return int(medianOf(mapRuns(rs, func(r pacedRun) float64 { return float64(f(r)) })))
}

func mapRuns(rs []pacedRun, f func(pacedRun) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// slowEveryAnswer makes the fake answer every request d late.
func (f *fakeProc) slowEveryAnswer(ctx context.Context, d time.Duration) error {
	body := fmt.Sprintf(`{"delay":%q,"times":100000}`, d.String())
	return f.controlWith(ctx, "POST", "/faults", body, 200)
}

package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// inventoryToken is a TOKEN line of `audit -o jsonl`, as the contract fixes it.
type inventoryToken struct {
	Scope             string     `json:"scope"`
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	CreatedDate       time.Time  `json:"createdDate"`
	ExpiryDate        *time.Time `json:"expiryDate"`
	LastAuthenticated *time.Time `json:"lastAuthenticated"`
	Permissions       []string   `json:"permissions"`
	Owner             *string    `json:"owner"`
	Findings          []string   `json:"findings"`
	DaysLeft          *int       `json:"daysLeft"`
}

// inventorySummary is the last line of `audit -o jsonl`.
type inventorySummary struct {
	Summary map[string]int `json:"summary"`
	Scopes  struct {
		Read   int               `json:"read"`
		Failed []json.RawMessage `json:"failed"`
	} `json:"scopes"`
}

// compareInventory checks an `audit --all -o jsonl` output token by token
// against what the fake holds: the same ids, each in its scope with its
// name, dates, permissions and owner, and the findings that do not depend
// on the clock (no-expiry, never-used, admin, inactive-owner); then the
// summary line against the tokens listed.
func compareInventory(ts *testscript.TestScript, fake *accesstokenstest.Fake, jsonl string) {
	lines := strings.Split(strings.TrimSuffix(jsonl, "\n"), "\n")
	if len(lines) == 0 || lines[0] == "" {
		ts.Fatalf("compare: empty output")
	}
	var sum inventorySummary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil || sum.Summary == nil {
		ts.Fatalf("compare: the last line is not the summary: %q (%v)", lines[len(lines)-1], err)
	}
	got := map[string]inventoryToken{}
	counts := map[string]int{}
	for i, line := range lines[:len(lines)-1] {
		var tok inventoryToken
		if err := json.Unmarshal([]byte(line), &tok); err != nil {
			ts.Fatalf("compare: line %d: %v", i+1, err)
		}
		if _, dup := got[tok.ID]; dup {
			ts.Fatalf("compare: token %s listed twice", tok.ID)
		}
		got[tok.ID] = tok
		for _, f := range tok.Findings {
			counts[f]++
		}
	}
	want := fake.Tokens()
	var problems []string
	for _, w := range want {
		g, ok := got[w.ID]
		if !ok {
			problems = append(problems, fmt.Sprintf("missing %s %s %q", w.Scope, w.ID, w.Name))
			continue
		}
		delete(got, w.ID)
		problems = append(problems, tokenDifferences(w, g)...)
	}
	for id, g := range got {
		problems = append(problems, fmt.Sprintf("listed but not in the fake: %s %s", g.Scope, id))
	}
	if len(problems) > 0 {
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("... and %d more", len(problems)-20))
		}
		ts.Fatalf("compare: %d tokens in the fake; differences:\n%s", len(want), strings.Join(problems, "\n"))
	}
	if sum.Summary["tokens"] != len(want) {
		ts.Fatalf("compare: summary says %d tokens, the fake holds %d", sum.Summary["tokens"], len(want))
	}
	for f, n := range counts {
		if sum.Summary[f] != n {
			ts.Fatalf("compare: summary says %d %s, the lines %d", sum.Summary[f], f, n)
		}
	}
	if len(sum.Scopes.Failed) > 0 {
		ts.Fatalf("compare: %d scopes failed", len(sum.Scopes.Failed))
	}
	fmt.Fprintf(ts.Stdout(), "%d tokens in %d scopes match\n", len(want), sum.Scopes.Read)
}

// tokenDifferences lists how a TOKEN differs from the fake's token.
func tokenDifferences(w accesstokenstest.TokenInfo, g inventoryToken) []string {
	var out []string
	diff := func(field string, want, got any) {
		if fmt.Sprint(want) != fmt.Sprint(got) {
			out = append(out, fmt.Sprintf("%s %s: %s is %v, want %v", w.Scope, w.ID, field, got, want))
		}
	}
	diff("scope", w.Scope, g.Scope)
	diff("name", w.Name, g.Name)
	diff("createdDate", w.Created.UTC(), g.CreatedDate.UTC())
	diff("expiryDate", utcOrNil(w.Expiry), utcOrNil(g.ExpiryDate))
	diff("lastAuthenticated", utcOrNil(w.LastAuthenticated), utcOrNil(g.LastAuthenticated))
	diff("permissions", w.Permissions, g.Permissions)
	owner := "<nil>"
	if g.Owner != nil {
		owner = *g.Owner
	}
	diff("owner", w.OwnerSlug, owner)
	has := func(f string) bool { return slices.Contains(g.Findings, f) }
	admin := slices.ContainsFunc(w.Permissions, func(p string) bool { return strings.HasSuffix(p, "_ADMIN") })
	diff("finding no-expiry", w.Expiry == nil, has("no-expiry"))
	diff("finding never-used", w.LastAuthenticated == nil, has("never-used"))
	diff("finding admin", admin, has("admin"))
	diff("finding inactive-owner", !w.OwnerActive, has("inactive-owner"))
	diff("daysLeft is null", w.Expiry == nil, g.DaysLeft == nil)
	return out
}

func utcOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// cmdReport checks reports the command wrote:
//
//	report json FILE     FILE is one well-formed JSON document
//	report jsonl FILE    every line of FILE is a JSON object, the last the summary line
//	report same A B      A and B are the same bytes apart from their "generatedAt" line
func cmdReport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: report json FILE | report jsonl FILE | report same A B")
	}
	switch {
	case args[0] == "json" && len(args) == 2:
		if !json.Valid([]byte(ts.ReadFile(args[1]))) {
			ts.Fatalf("report: %s is not one JSON document", args[1])
		}
	case args[0] == "jsonl" && len(args) == 2:
		lines := strings.Split(strings.TrimSuffix(ts.ReadFile(args[1]), "\n"), "\n")
		for i, line := range lines {
			if !json.Valid([]byte(line)) || !strings.HasPrefix(line, "{") {
				ts.Fatalf("report: %s, line %d is no JSON object: %q", args[1], i+1, line)
			}
		}
		if !strings.HasPrefix(lines[len(lines)-1], `{"summary":`) {
			ts.Fatalf("report: %s does not end with its summary line", args[1])
		}
	case args[0] == "same" && len(args) == 3:
		a, b := withoutGeneratedAt(ts.ReadFile(args[1])), withoutGeneratedAt(ts.ReadFile(args[2]))
		if a != b {
			ts.Fatalf("report: %s and %s differ beyond generatedAt:\n%s", args[1], args[2], firstDifference(a, b))
		}
	default:
		ts.Fatalf("usage: report json FILE | report jsonl FILE | report same A B")
	}
}

var generatedAtLine = regexp.MustCompile(`(?m)^\s*"generatedAt": .*$`)

func withoutGeneratedAt(s string) string { return generatedAtLine.ReplaceAllString(s, "") }

// firstDifference shows the first line where a and b differ.
func firstDifference(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n< %s\n> %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d lines against %d", len(la), len(lb))
}

package main

import (
	"encoding/json"
	"fmt"
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

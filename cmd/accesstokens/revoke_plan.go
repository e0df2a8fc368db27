// revoke --plan FILE: a saved plan ({"plan": [TOKEN...]}, as revoke --where
// -o json writes it) is read and checked before any request; each of its
// tokens is read again, and one that is gone or changed since is skipped;
// the rest are revoked with --yes, or shown without it.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// savedPlan is a plan read from a file.
type savedPlan struct {
	file string
	// tokens are in plan order (see comparePlanned), each (scope, id) once.
	tokens []*plannedToken
}

// plannedToken is one TOKEN of a saved plan: what names it, what was
// reviewed (name, permissions, expiry), and the object as it was written.
type plannedToken struct {
	scope       accesstokens.Scope
	id          string
	name        string
	permissions []accesstokens.Permission
	expiry      *time.Time // nil: never expires
	findings    []string
	raw         []byte // the TOKEN object, compact
}

func (p *plannedToken) item() revokeItem { return revokeItem{scope: p.scope, id: p.id, name: p.name} }

// notAPlan explains what a plan file must hold.
const notAPlan = `not a plan ({"plan": [TOKEN...]}, as 'revoke --where ... -o json' writes it)`

// readPlanFile reads and checks a saved plan. Its errors say what is wrong
// with the file; the caller names the flag.
func readPlanFile(path string) (*savedPlan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodePlan(path, f)
}

func decodePlan(path string, r io.Reader) (*savedPlan, error) {
	dec := json.NewDecoder(r)
	var doc struct {
		Plan *[]json.RawMessage `json:"plan"`
	}
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %v", notAPlan, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: more after the document", notAPlan)
	}
	if doc.Plan == nil {
		return nil, fmt.Errorf(`%s: no "plan" list`, notAPlan)
	}
	plan := &savedPlan{file: path}
	seen := map[tokenKey]bool{}
	for i, raw := range *doc.Plan {
		t, err := parsePlannedToken(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: plan[%d]: %v", notAPlan, i, err)
		}
		if key := (tokenKey{t.scope, t.id}); !seen[key] {
			seen[key] = true
			plan.tokens = append(plan.tokens, t)
		}
	}
	slices.SortStableFunc(plan.tokens, func(a, b *plannedToken) int { return comparePlanned(a.scope, a.id, b.scope, b.id) })
	return plan, nil
}

// parsePlannedToken reads one TOKEN object; it must hold what names the
// token and what its recheck compares.
func parsePlannedToken(raw json.RawMessage) (*plannedToken, error) {
	var w struct {
		Scope       *string                    `json:"scope"`
		ID          *string                    `json:"id"`
		Name        *string                    `json:"name"`
		Permissions *[]accesstokens.Permission `json:"permissions"`
		ExpiryDate  json.RawMessage            `json:"expiryDate"`
		Findings    []string                   `json:"findings"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, err
	}
	switch {
	case w.Scope == nil:
		return nil, errors.New(`no "scope"`)
	case w.ID == nil:
		return nil, errors.New(`no "id"`)
	case w.Name == nil:
		return nil, errors.New(`no "name"`)
	case w.Permissions == nil:
		return nil, errors.New(`no "permissions"`)
	case w.ExpiryDate == nil:
		return nil, errors.New(`no "expiryDate" (null for a token that never expires)`)
	}
	t := &plannedToken{id: *w.ID, name: *w.Name, permissions: *w.Permissions, findings: w.Findings}
	var err error
	if t.scope, err = accesstokens.ParseScope(*w.Scope); err != nil {
		return nil, fmt.Errorf("scope %q: %s", *w.Scope, trimPrefix(err))
	}
	if t.id == "" || strings.Trim(t.id, "0123456789") != "" {
		return nil, fmt.Errorf("id %q: a token id is a string of digits", t.id)
	}
	if string(w.ExpiryDate) != "null" {
		var d time.Time
		if err := json.Unmarshal(w.ExpiryDate, &d); err != nil {
			return nil, fmt.Errorf("expiryDate %s: not an RFC 3339 date", w.ExpiryDate)
		}
		t.expiry = &d
	}
	var compact bytes.Buffer
	_ = json.Compact(&compact, raw) // valid: it was just decoded
	t.raw = compact.Bytes()
	return t, nil
}

// changedSince says what of name, permissions and expiry the server's token
// now has otherwise than the plan; "" when nothing did.
func (p *plannedToken) changedSince(now *accesstokens.AccessToken) string {
	var what []string
	if now.ID != p.id {
		what = append(what, "id")
	}
	if now.Name != p.name {
		what = append(what, "name")
	}
	if !samePermissions(now.Permissions, p.permissions) {
		what = append(what, "permissions")
	}
	if !sameInstant(now.ExpiryDate, p.expiry) {
		what = append(what, "expiry")
	}
	if len(what) == 0 {
		return ""
	}
	return "changed since the plan was made: " + strings.Join(what, ", ")
}

// samePermissions compares two permission lists as sets.
func samePermissions(a, b []accesstokens.Permission) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// gone is why a token of the plan that the server no longer has is skipped.
const gone = "gone: the server has no such token any more"

// recheckPlanned returns the recheck of revoker for a saved plan: each
// token is read again, and a reason to skip it is given when it is gone or
// changed since the plan was made.
func recheckPlanned(tokens accesstokens.TokensService, plan *savedPlan) func(context.Context, revokeItem) (string, error) {
	planned := make(map[tokenKey]*plannedToken, len(plan.tokens))
	for _, t := range plan.tokens {
		planned[tokenKey{t.scope, t.id}] = t
	}
	return func(ctx context.Context, it revokeItem) (string, error) {
		now, err := tokens.Get(ctx, it.scope, it.id)
		switch {
		case errors.Is(err, accesstokens.ErrNotFound):
			return gone, nil
		case err != nil:
			return "", err
		}
		return planned[tokenKey{it.scope, it.id}].changedSince(now), nil
	}
}

// runRevokePlan acts on a saved plan with --yes, and shows it without.
func runRevokePlan(ctx context.Context, opts *RevokeOptions, conn *Connection) error {
	recheck := recheckPlanned(conn.Client.Tokens, opts.Plan)
	if !opts.Yes {
		return previewPlan(ctx, opts, recheck)
	}
	items := make([]revokeItem, len(opts.Plan.tokens))
	for i, t := range opts.Plan.tokens {
		items[i] = t.item()
	}
	r := newRevoker(conn.Client.Tokens, opts)
	r.recheck = recheck
	return r.run(ctx, items)
}

// previewPlan reads each token of the plan again and shows what --yes
// would revoke: the plan less what is gone or changed (skipped, on stderr
// and in the json's "skipped"), less what could not be read (exit 1).
func previewPlan(ctx context.Context, opts *RevokeOptions, recheck func(context.Context, revokeItem) (string, error)) error {
	report := newRevokeReport(opts.IO, opts.Format == "json")
	var keep []*plannedToken
	for _, t := range opts.Plan.tokens {
		reason, err := recheck(ctx, t.item())
		switch {
		case errors.Is(err, accesstokens.ErrAuthentication):
			return fmt.Errorf("reading %s %s again: %w", t.scope, t.id, err)
		case err != nil:
			report.failed(t.item(), err, "reading it again: "+terminalError(err))
		case reason != "":
			report.skipped(t.item(), reason)
		default:
			keep = append(keep, t)
		}
	}
	if err := checkPlanWritten(writePreview(opts, keep, report.results)); err != nil {
		return err
	}
	if len(keep) > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "Nothing was revoked: run again with --yes to revoke %s.\n", plural(len(keep), "token"))
	}
	if n := len(report.results.Failed); n > 0 {
		return &exitError{code: exitFailed, err: fmt.Errorf("%s of the plan could not be read again", plural(n, "token"))}
	}
	return nil
}

// writePreview writes what --yes would revoke: with -o json, a plan of the
// tokens still as planned, with "skipped" and "failed" beside it.
func writePreview(opts *RevokeOptions, keep []*plannedToken, res revokeResults) error {
	if opts.Format == "json" {
		raws := make([][]byte, len(keep))
		for i, t := range keep {
			raws[i] = t.raw
		}
		skipped, err := json.Marshal(res.Skipped)
		if err != nil {
			return err
		}
		failed, err := json.Marshal(res.Failed)
		if err != nil {
			return err
		}
		extra := `,` + "\n" + `"skipped": ` + string(skipped) + `,` + "\n" + `"failed": ` + string(failed)
		return writePlanJSON(opts.IO.Out, raws, []byte(extra))
	}
	rows := make([]planRow, len(keep))
	for i, t := range keep {
		rows[i] = planRow{scope: t.scope, id: t.id, name: t.name, findings: strings.Join(t.findings, ",")}
	}
	return writePlanTable(opts.IO.Out, "as saved in "+textsafe.Terminal(opts.Plan.file), rows)
}

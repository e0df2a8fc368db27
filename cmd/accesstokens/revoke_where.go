// revoke --where: the plan is made by the audit itself (the same walk,
// progress, failed-scope reports and stops), shown to people or written as
// {"plan": [TOKEN...]}, and acted on with --yes.

package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/audit"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// runRevokeWhere audits the chosen scopes into a plan, shows it, and acts
// on it with --yes. A scope that cannot be read leaves the others planned
// (exit 1 says the plan may be short); a stopped audit revokes nothing.
func runRevokeWhere(ctx context.Context, opts *RevokeOptions, conn *Connection) error {
	plan := newPlanCollector(*opts.Where)
	readCode, err := exitCodeOf(runAudit(ctx, &AuditOptions{
		IO: opts.IO, Connect: connected(conn), Select: opts.Select, Rules: opts.Rules,
		Concurrency: opts.Concurrency, Report: plan,
	}))
	if err != nil {
		return &exitError{code: readCode, err: fmt.Errorf("planning the revoke: %w; nothing was revoked", err)}
	}
	tokens := plan.sorted()
	asJSON := opts.Format == "json"
	if !opts.Yes || !asJSON {
		var err error
		if asJSON {
			err = writePlanJSON(opts.IO.Out, tokensJSON(tokens), nil)
		} else {
			err = writePlanTable(opts.IO.Out, "where "+textsafe.Terminal(opts.Where.String()), planRowsOf(tokens))
		}
		if err := checkPlanWritten(err); err != nil {
			return err
		}
	}
	if !opts.Yes {
		if len(tokens) > 0 {
			fmt.Fprintf(opts.IO.ErrOut, "Nothing was revoked: run again with --yes to revoke %s.\n", plural(len(tokens), "token"))
		}
		return silentExit(readCode)
	}
	items := make([]revokeItem, len(tokens))
	for i, t := range tokens {
		items[i] = revokeItem{scope: t.Scope, id: t.ID, name: t.Name}
	}
	code, err := exitCodeOf(newRevoker(conn.Client.Tokens, opts).run(ctx, items))
	if err != nil {
		fmt.Fprintln(opts.IO.ErrOut, errorLine(err))
	}
	return silentExit(worstCode(code, readCode))
}

// connected is a Connect that hands out conn, already made.
func connected(conn *Connection) func(context.Context) (*Connection, error) {
	return func(context.Context) (*Connection, error) { return conn, nil }
}

// tokenKey names one token of a server.
type tokenKey struct {
	scope accesstokens.Scope
	id    string
}

// planCollector is the audit report of revoke --where: it keeps the tokens
// that match, each one once, however often the walk met its scope (offset
// paging can list a scope twice when the server changes under it).
type planCollector struct {
	where  audit.Where
	seen   map[tokenKey]bool
	tokens []audit.Token
}

func newPlanCollector(where audit.Where) *planCollector {
	return &planCollector{where: where, seen: map[tokenKey]bool{}}
}

// Write keeps t when it matches and was not kept before.
func (p *planCollector) Write(t audit.Token) error {
	key := tokenKey{t.Scope, t.ID}
	if !p.where.Match(t) || p.seen[key] {
		return nil
	}
	p.seen[key] = true
	p.tokens = append(p.tokens, t)
	return nil
}

// Close keeps nothing of the summary: the audit reports failed scopes itself.
func (p *planCollector) Close(audit.Summary) error { return nil }

// sorted returns the plan in the order plans list tokens (see comparePlanned).
func (p *planCollector) sorted() []audit.Token {
	slices.SortFunc(p.tokens, func(a, b audit.Token) int { return comparePlanned(a.Scope, a.ID, b.Scope, b.ID) })
	return p.tokens
}

// comparePlanned orders tokens as the inventory does: users, then projects,
// then repositories, each by key or slug, then by id.
func comparePlanned(scopeA accesstokens.Scope, idA string, scopeB accesstokens.Scope, idB string) int {
	return cmp.Or(
		cmp.Compare(scopeRank(scopeA), scopeRank(scopeB)),
		strings.Compare(scopeA.String(), scopeB.String()),
		strings.Compare(idA, idB),
	)
}

func scopeRank(s accesstokens.Scope) int {
	switch {
	case s.UserSlug != "":
		return 0
	case s.RepoSlug == "":
		return 1
	}
	return 2
}

// tokensJSON is each token as a TOKEN object.
func tokensJSON(tokens []audit.Token) [][]byte {
	out := make([][]byte, len(tokens))
	for i, t := range tokens {
		out[i], _ = t.MarshalJSON() // never fails
	}
	return out
}

// writePlanJSON writes {"plan": [TOKEN...]}, one TOKEN a line, then the
// extra keys when there are any (a saved plan's preview adds what it skipped).
func writePlanJSON(w io.Writer, tokens [][]byte, extra []byte) error {
	var b bytes.Buffer
	b.WriteString(`{"plan": [`)
	for i, t := range tokens {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n  ")
		b.Write(t)
	}
	if len(tokens) > 0 {
		b.WriteByte('\n')
	}
	b.WriteByte(']')
	b.Write(extra)
	b.WriteString("}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// planRow is one token of a plan as people read it.
type planRow struct {
	scope    accesstokens.Scope
	id, name string
	findings string
}

func planRowsOf(tokens []audit.Token) []planRow {
	rows := make([]planRow, len(tokens))
	for i, t := range tokens {
		rows[i] = planRow{scope: t.Scope, id: t.ID, name: t.Name, findings: joinFindings(t.Findings, ",")}
	}
	return rows
}

// writePlanTable writes "Plan: revoke N tokens in M scopes <how>", then
// each scope with its count and its tokens (id, name, findings), rows
// already in plan order. Server text is escaped: a token name cannot act
// on the terminal, nor rewrite a line of the plan.
func writePlanTable(w io.Writer, how string, rows []planRow) error {
	var body bytes.Buffer
	tw := tabwriter.NewWriter(&body, 0, 0, 2, ' ', 0)
	scopes := 0
	for i := 0; i < len(rows); {
		end := i + 1
		for end < len(rows) && rows[end].scope == rows[i].scope {
			end++
		}
		scopes++
		fmt.Fprintf(tw, "%s (%d)\n", textsafe.Terminal(rows[i].scope.String()), end-i)
		for _, r := range rows[i:end] {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.id, textsafe.Terminal(r.name), orDash(r.findings))
		}
		i = end
	}
	_ = tw.Flush() // into a buffer
	head := fmt.Sprintf("Plan: revoke %s in %s %s\n", plural(len(rows), "token"), plural(scopes, "scope"), how)
	if _, err := io.WriteString(w, head); err != nil {
		return err
	}
	_, err := w.Write(body.Bytes())
	return err
}

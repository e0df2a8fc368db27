// What identify prints: the token found (get's detail view, or
// {"token": TOKEN} with -o json) and, with --revoke --yes, its revoke; with
// --user, the scope's tokens as list prints them.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/bbdc-tools/accesstokens/audit"
)

// identifyResult is identify's -o json document.
type identifyResult struct {
	Token   audit.Token `json:"token"`
	Revoked *bool       `json:"revoked,omitempty"` // with --revoke only
}

// showIdentified prints the token found and, with --revoke --yes, revokes
// it; --revoke alone says what it would revoke.
func showIdentified(ctx context.Context, opts *IdentifyOptions, conn *Connection, found foundToken) error {
	tok := classify(found.scope, *found.token, conn.Now())
	item := revokeItem{scope: found.scope, id: tok.ID, name: tok.Name}
	if !opts.Revoke || !opts.Yes {
		if err := printIdentified(opts, tok, false); err != nil {
			return err
		}
		if opts.Revoke {
			fmt.Fprintf(opts.IO.ErrOut, "Nothing was revoked: run again with --yes to revoke %s.\n", item)
		}
		return nil
	}
	if opts.Format != "json" {
		if err := printIdentified(opts, tok, false); err != nil {
			return fmt.Errorf("writing the token: %w; nothing was revoked", err)
		}
		return newRevoker(conn.Client.Tokens, &RevokeOptions{IO: opts.IO, Format: "table"}).run(ctx, []revokeItem{item})
	}
	// json: the revoke reports failures on stderr; its outcome goes in the one document.
	report := newRevokeReport(&IOStreams{In: opts.IO.In, Out: io.Discard, ErrOut: opts.IO.ErrOut}, true)
	revokeErr := (&revoker{tokens: conn.Client.Tokens, report: report}).run(ctx, []revokeItem{item})
	if err := printIdentified(opts, tok, len(report.results.Revoked) == 1); err != nil {
		return err
	}
	return revokeErr
}

// printIdentified writes the token as -o says; revoked goes in the json
// document when --revoke was given.
func printIdentified(opts *IdentifyOptions, tok audit.Token, revoked bool) error {
	if opts.Format != "json" {
		out := newTokenPrinter("table", opts.IO.Out, true)
		if err := out.Print(tok); err != nil {
			return err
		}
		return out.Flush()
	}
	res := identifyResult{Token: tok}
	if opts.Revoke {
		res.Revoked = &revoked
	}
	raw, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	_, err = opts.IO.Out.Write(append(raw, '\n'))
	return err
}

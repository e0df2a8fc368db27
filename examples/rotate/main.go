// Command rotate replaces an access token with a new one of the same name,
// permissions and lifetime, using the SDK's Rotate, and prints the new
// secret (masked, unless -reveal) before the old token is revoked.
//
//	rotate -scope SCOPE -id TOKEN_ID [-reveal]
//
// SCOPE is user:SLUG, project:KEY or repo:KEY/SLUG. Against a real server
// set BITBUCKET_URL with BITBUCKET_USERNAME and BITBUCKET_PASSWORD (tokens
// cannot manage tokens). Whatever fails where, Rotate leaves no token whose
// secret you lack and keeps the old token unless the new one was printed;
// the error names the token ids that exist. SIGINT and SIGTERM stop it the
// same way. With BITBUCKET_URL unset it starts the fake Bitbucket, creates a
// demo token in SCOPE (default project:PRJ) and rotates it:
//
//	go run ./examples/rotate
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "rotate:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, args []string) error {
	fs := flag.NewFlagSet("rotate", flag.ContinueOnError)
	fs.SetOutput(out)
	scopeFlag := fs.String("scope", "project:"+accesstokenstest.DemoProject, "whose token: user:SLUG, project:KEY or repo:KEY/SLUG")
	id := fs.String("id", "", "id of the token to rotate (required with BITBUCKET_URL)")
	reveal := fs.Bool("reveal", false, "print the new secret whole instead of masked")
	if err := fs.Parse(args); err != nil {
		return err
	}
	scope, err := accesstokens.ParseScope(*scopeFlag)
	if err != nil {
		return err
	}
	if os.Getenv("BITBUCKET_URL") == "" {
		return demo(ctx, out, scope, *reveal)
	}
	if *id == "" {
		return errors.New("-id is required: the id of the token to rotate")
	}
	client, err := accesstokens.NewClientFromEnv(accesstokens.WithUserAgent("rotate"))
	if err != nil {
		return err
	}
	return rotate(ctx, out, client, scope, *id, *reveal)
}

// rotate replaces the token and prints the new secret: printing is how it is
// delivered, so a failed write revokes the new token and keeps the old one.
func rotate(ctx context.Context, out io.Writer, client *accesstokens.Client, scope accesstokens.Scope, id string, reveal bool) error {
	delivered := false
	deliver := func(_ context.Context, tok *accesstokens.RawAccessToken) error {
		_, err := fmt.Fprintf(out, "new token %s %q, %d days; secret: %s\n", tok.ID, tok.Name, tok.ExpiryDays(), show(tok.Token, reveal))
		delivered = err == nil
		return err
	}
	rot, err := accesstokens.Rotate(ctx, client.Tokens, scope, id, accesstokens.RotateOptions{Deliver: deliver})
	if err != nil && rot != nil && rot.New != nil && !delivered {
		_ = deliver(ctx, rot.New) // it survived the failure: never lose its secret
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "revoked the old token %s\n", rot.Old.ID)
	return err
}

// demo rotates a fresh 30-day token in scope on the fake, as its owner
// (for a personal token) or as alice, the admin of project PRJ.
func demo(ctx context.Context, out io.Writer, scope accesstokens.Scope, reveal bool) error {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	user := accesstokenstest.DemoAlice
	if scope.UserSlug != "" {
		user = scope.UserSlug // the demo passwords are the user names
	}
	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth(user, user))
	if err != nil {
		return err
	}
	old, err := client.Tokens.Create(ctx, scope, accesstokens.CreateTokenRequest{
		Name: "deploy-bot", Permissions: []accesstokens.Permission{accesstokens.RepoWrite}, ExpiryDays: 30,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "On a fake Bitbucket, %s created token %s %q in %s; rotating it.\n", user, old.ID, old.Name, scope)
	return rotate(ctx, out, client, scope, old.ID, reveal)
}

// show is the secret whole when reveal, else at most its last four characters.
func show(s accesstokens.Secret, reveal bool) string {
	if reveal {
		return s.Reveal() + " (store it now: the server never shows it again)"
	}
	return s.Masked() + " (masked; -reveal prints it whole)"
}

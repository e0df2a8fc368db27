// Command quickstart tours the accesstokens SDK against the built-in fake
// Bitbucket, started in-process: alice creates, lists and rotates project
// tokens, and an expiry policy and missing rights say no, clearly.
//
//	go run ./examples/quickstart
//
// For a real server, see NewClientFromEnv and the accesstokens command.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func main() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	fmt.Printf("Started a fake Bitbucket at %s (users admin, alice, bob; project PRJ)\n", srv.URL)
	if err := demoTour(context.Background(), os.Stdout, srv, login{}); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		srv.Close()
		os.Exit(1)
	}
}

// login makes the demo users' clients: with their demo passwords (each
// user's name) unless passwords says otherwise, and with extra options.
type login struct {
	passwords map[string]string
	opts      []accesstokens.Option
}

func (l login) as(srv *accesstokenstest.Server, user string) (*accesstokens.Client, error) {
	password, ok := l.passwords[user]
	if !ok {
		password = user
	}
	return accesstokens.NewClient(srv.URL, append(l.opts, accesstokens.WithBasicAuth(user, password))...)
}

func demoTour(ctx context.Context, out io.Writer, srv *accesstokenstest.Server, l login) error {
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	alice, err := l.as(srv, "alice")
	if err != nil {
		return err
	}
	prj := accesstokens.ProjectScope("PRJ")
	perms := []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite}

	say("\n1. alice creates two tokens on %s", prj)
	for _, req := range []accesstokens.CreateTokenRequest{
		{Name: "ci-pipeline", Permissions: perms, ExpiryDays: 90},
		{Name: "nightly-backup", Permissions: perms, ExpiryDays: 7},
	} {
		tok, err := alice.Tokens.Create(ctx, prj, req)
		if err != nil {
			return err
		}
		say("   %s: secret %s, shown only now (as a value it prints %v)", tok.Name, tok.Token.Masked(), tok.Token)
	}

	say("\n2. alice lists them, newest first")
	var ciID string
	for tok, err := range alice.Tokens.All(ctx, prj, nil) {
		if err != nil {
			return err
		}
		if tok.Name == "ci-pipeline" {
			ciID = tok.ID
		}
		say("   %-15s %2d-day token; expires within 14 days: %t", tok.Name, tok.ExpiryDays(), tok.ExpiresWithin(14*24*time.Hour, srv.Now()))
	}

	say("\n3. alice rotates ci-pipeline: a new token like it, then the old one goes")
	rot, err := accesstokens.Rotate(ctx, alice.Tokens, prj, ciID, accesstokens.RotateOptions{})
	if err != nil {
		return err
	}
	say("   new %s: %d days, secret %s; old one revoked: %t", rot.New.Name, rot.New.ExpiryDays(), rot.New.Token.Masked(), rot.OldRevoked)

	say("\n4. admin requires expiry; a token that never expires is refused, naming the rule")
	admin, err := l.as(srv, "admin")
	if err != nil {
		return err
	}
	if err := admin.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 30}); err != nil {
		return err
	}
	_, err = alice.Tokens.Create(ctx, prj, accesstokens.CreateTokenRequest{Name: "forever", Permissions: perms})
	say("   bad request: %t: %v", errors.Is(err, accesstokens.ErrBadRequest), err)

	bob, err := l.as(srv, "bob")
	if err != nil {
		return err
	}
	_, err = bob.Tokens.List(ctx, prj, nil)
	say("\n5. bob, without rights on PRJ, may not list them: %t: %v", errors.Is(err, accesstokens.ErrUnauthorized), err)
	say("\nDone. The fake server stops with this program.")
	return admin.Admin.DeleteExpiryPolicy(ctx)
}

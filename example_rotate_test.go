package accesstokens_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func ExampleRotate() {
	srv := accesstokenstest.NewServer(accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
	defer srv.Close()
	// A 30-day project token, 25 days old.
	oldID, _ := srv.MintToken(accesstokenstest.ProjectScopeString("PRJ"), "deploy", 30, "PROJECT_READ", "REPO_WRITE")
	srv.Advance(25 * 24 * time.Hour)

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	scope := accesstokens.ProjectScope("PRJ")
	vault := map[string]string{} // stands for a secrets manager
	rot, err := accesstokens.Rotate(ctx, client.Tokens, scope, oldID, accesstokens.RotateOptions{
		// Runs before the old token is revoked; an error here keeps the old one.
		Deliver: func(ctx context.Context, tok *accesstokens.RawAccessToken) error {
			vault["PRJ/deploy"] = tok.Token.Reveal() // the server never shows it again
			return nil
		},
	})
	if err != nil {
		log.Fatal(err) // a *RotateError: which step failed and which token ids exist
	}
	fmt.Printf("%s: %v, %d days from %s\n", rot.New.Name, rot.New.Permissions, rot.New.ExpiryDays(), rot.New.CreatedDate.Format(time.DateOnly))
	fmt.Println("old token revoked:", rot.OldRevoked)
	_, err = client.Tokens.Get(ctx, scope, oldID)
	fmt.Println("old token gone:", errors.Is(err, accesstokens.ErrNotFound))
	fmt.Println("secret delivered:", vault["PRJ/deploy"] == rot.New.Token.Reveal())
	// Output:
	// deploy: [PROJECT_READ REPO_WRITE], 30 days from 2026-01-26
	// old token revoked: true
	// old token gone: true
	// secret delivered: true
}

// A Deliver that fails leaves the old token alone and revokes the new one,
// which nobody received.
func ExampleRotate_deliverFails() {
	srv := accesstokenstest.NewServer(accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
	defer srv.Close()
	oldID, _ := srv.MintToken(accesstokenstest.UserScopeString("alice"), "laptop", 0, "REPO_READ")
	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	rot, err := accesstokens.Rotate(context.Background(), client.Tokens, accesstokens.UserScope("alice"), oldID, accesstokens.RotateOptions{
		Deliver: func(context.Context, *accesstokens.RawAccessToken) error {
			return errors.New("the vault is sealed")
		},
	})
	var rerr *accesstokens.RotateError
	if errors.As(err, &rerr) {
		fmt.Println("failed step:", rerr.Step)
		fmt.Println("only the old token exists:", len(rerr.Existing) == 1 && rerr.Existing[0] == oldID)
	}
	fmt.Println("new token kept:", rot.New != nil)
	fmt.Println("tokens on the server:", len(srv.Tokens()))
	// Output:
	// failed step: deliver
	// only the old token exists: true
	// new token kept: false
	// tokens on the server: 1
}

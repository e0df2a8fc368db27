package accesstokensmock_test

import (
	"context"
	"fmt"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokensmock"
)

// ExpectRotate sets the calls a successful Rotate makes, in its order: read
// the old token, list the scope, create the new token, revoke the old one.
// Code under test that rotates passes if, and only if, it makes them.
func ExampleExpectRotate() {
	t := &recordingT{} // in a test: the test's *testing.T
	scope := accesstokens.ProjectScope("PRJ")
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	expiry := created.AddDate(0, 0, 30)
	old := accesstokens.AccessToken{ID: "7", Name: "ci", CreatedDate: created, ExpiryDate: &expiry,
		Permissions: []accesstokens.Permission{accesstokens.RepoRead}}

	tokens := accesstokensmock.NewMockTokensService(t)
	calls := accesstokensmock.ExpectRotate(tokens, scope, old,
		accesstokens.CreateTokenRequest{Name: "ci", Permissions: old.Permissions, ExpiryDays: 30}, // like the old one
		&accesstokens.RawAccessToken{AccessToken: accesstokens.AccessToken{ID: "8", Name: "ci"}, Token: accesstokens.NewSecret("BBDC-new")})
	calls.All.Run(func(context.Context, accesstokens.Scope, *accesstokens.ListOptions) { fmt.Println("list") })
	calls.Create.Run(func(context.Context, accesstokens.Scope, accesstokens.CreateTokenRequest) { fmt.Println("create") })
	calls.Delete.Run(func(_ context.Context, _ accesstokens.Scope, id string) { fmt.Println("revoke", id) })

	rot, err := accesstokens.Rotate(context.Background(), tokens, scope, "7", accesstokens.RotateOptions{})
	fmt.Println("rotated to", rot.New.ID, err)

	t.finish() // the testing package checks the expectations when the test ends
	fmt.Println("failures:", len(t.errors))
	// Output:
	// list
	// create
	// revoke 7
	// rotated to 8 <nil>
	// failures: 0
}

package accesstokens

import (
	"context"
	"errors"
)

// RotateOptions says what the replacement token looks like and how its
// secret is handed over. The zero value makes a token like the old one.
type RotateOptions struct {
	Name        string       // "": the old token's name
	Permissions []Permission // nil: the old token's permissions
	ExpiryDays  int          // 0: the old token's ExpiryDays() (0 again if it never expired)
	KeepOld     bool         // true: leave the old token for the caller to revoke after an overlap
	// Deliver, when set, runs after the new token exists and before the old one is revoked: store the
	// secret, check that it works. An error from it revokes the new token and leaves the old one alone.
	Deliver func(ctx context.Context, newToken *RawAccessToken) error
}

// Rotation is what Rotate did.
type Rotation struct {
	Old        AccessToken
	New        *RawAccessToken // nil when no new token survives
	OldRevoked bool
}

// Rotate replaces a token with a new one like it. It works over any TokensService, so it runs against
// a stub as well as a server. Its promises, whatever fails where:
//   - never both tokens lost: the old one is revoked only after the new one exists and Deliver succeeded;
//   - no orphan: a new token whose secret the caller will not get (a create whose answer was lost,
//     a failed Deliver, a cancelled context) is found and revoked before Rotate returns, or its id
//     is reported in the error;
//   - when the old token cannot be revoked, the Rotation (with New) is returned with the error, so
//     the new secret is never thrown away.
func Rotate(ctx context.Context, tokens TokensService, scope Scope, tokenID string, opts RotateOptions) (*Rotation, error) {
	return nil, errors.New("accesstokens: Rotate: not implemented yet") // TODO(issue 10): being built
}

// Tests of tokens.go against the fake Bitbucket of accesstokenstest: every token endpoint of
// the three scopes through the SDK, under both API versions and a context path (fixtures_test.go
// has the clients and the three scopes as SDK calls).
// What the fake itself decides (who may do what, expiry, policy, limits) is tested in
// accesstokenstest.

package accesstokens_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestFakeEveryTokenEndpointRoundTripsThroughTheSDK(t *testing.T) {
	t.Parallel()
	for _, v := range fakeVariants {
		for _, sc := range demoScopes() {
			t.Run(v.name+"/"+sc.name, func(t *testing.T) {
				t.Parallel()
				srvOpts := []accesstokenstest.Option{accesstokenstest.WithClock(accesstokenstest.DefaultStartTime())}
				if v.contextPath != "" {
					srvOpts = append(srvOpts, accesstokenstest.WithContextPath(v.contextPath))
				}
				srv := startFake(t, srvOpts...)
				if v.contextPath != "" {
					require.True(t, strings.HasSuffix(srv.URL, v.contextPath), "server URL %q", srv.URL)
				}
				c := fakeClientAs(t, srv, accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword,
					accesstokens.WithAPIVersion(v.version))
				ctx := testContext(t)
				root := v.contextPath + "/rest/access-tokens/" + v.version + sc.rel

				created, err := sc.create(ctx, c, accesstokens.CreateTokenRequest{Name: "ci", Permissions: sc.perms, ExpiryDays: 30})
				require.NoError(t, err)
				assert.True(t, strings.HasPrefix(created.Token.Reveal(), "BBDC-"), "secret does not start with BBDC-")
				require.Regexp(t, fakeTokenID, created.ID)
				assert.Equal(t, "ci", created.Name)
				assert.Equal(t, sc.perms, created.Permissions)
				assert.True(t, created.CreatedDate.Equal(srv.Now()), "created %v, fake clock %v", created.CreatedDate, srv.Now())
				require.NotNil(t, created.ExpiryDate)
				assert.True(t, created.ExpiryDate.Equal(created.CreatedDate.AddDate(0, 0, 30)), "expiry %v", created.ExpiryDate)
				assert.Nil(t, created.LastAuthenticated)
				require.NotNil(t, created.User)
				assert.Equal(t, sc.ownerType, created.User.Type)
				assert.Equal(t, []string{created.ID}, storedIDs(srv, sc.scope), "the fake stores the token the SDK was told about")
				id := created.ID

				got, err := sc.get(ctx, c, id)
				require.NoError(t, err)
				assert.Equal(t, id, got.ID)
				assert.Equal(t, "ci", got.Name)
				assert.Equal(t, sc.perms, got.Permissions)
				require.NotNil(t, got.ExpiryDate)
				assert.True(t, got.ExpiryDate.Equal(*created.ExpiryDate))
				assert.True(t, got.CreatedDate.Equal(created.CreatedDate))
				assert.Equal(t, created.User, got.User)

				page, err := sc.list(ctx, c, nil)
				require.NoError(t, err)
				assert.Equal(t, []string{id}, pageIDs(page))
				assert.Equal(t, 1, page.Size)
				assert.Equal(t, 0, page.Start)
				assert.Equal(t, accesstokenstest.DefaultPageLimit, page.Limit)
				assert.True(t, page.IsLastPage)

				assert.Equal(t, []string{id}, collectIDs(t, sc.all(ctx, c, nil)))

				newName := "ci-renamed"
				updated, err := sc.update(ctx, c, id, accesstokens.UpdateTokenRequest{Name: &newName, Permissions: sc.newPerms})
				require.NoError(t, err)
				assert.Equal(t, id, updated.ID)
				assert.Equal(t, newName, updated.Name)
				assert.Equal(t, sc.newPerms, updated.Permissions)
				require.NotNil(t, updated.ExpiryDate, "an update must not drop the expiry")
				assert.True(t, updated.ExpiryDate.Equal(*created.ExpiryDate), "expiry changed to %v", updated.ExpiryDate)

				reread, err := sc.get(ctx, c, id)
				require.NoError(t, err)
				assert.Equal(t, newName, reread.Name)
				assert.Equal(t, sc.newPerms, reread.Permissions)
				require.NotNil(t, reread.ExpiryDate)
				assert.True(t, reread.ExpiryDate.Equal(*created.ExpiryDate))

				require.NoError(t, sc.delete(ctx, c, id))
				assert.Empty(t, storedIDs(srv, sc.scope))
				_, err = sc.get(ctx, c, id)
				apiErr := requireFakeError(t, err, accesstokens.ErrNotFound, accesstokenstest.ExceptionNoSuchEntity)
				assert.Equal(t, root+"/"+id, apiErr.Path)

				assert.Equal(t, []string{
					"PUT " + root,
					"GET " + root + "/" + id,
					"GET " + root,
					"GET " + root,
					"POST " + root + "/" + id,
					"GET " + root + "/" + id,
					"DELETE " + root + "/" + id,
					"GET " + root + "/" + id,
				}, requestLines(srv))
				for _, r := range srv.Requests() {
					assert.Equal(t, accesstokenstest.CredentialBasicPassword, r.Credential, "%s", requestLine(r))
					assert.Equal(t, accesstokenstest.DemoAlice, r.User)
					assert.Empty(t, r.Query, "nil ListOptions send no query")
				}
			})
		}
	}
}

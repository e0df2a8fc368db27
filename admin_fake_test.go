// Tests of admin.go against the fake: the expiry policy endpoints through the SDK.

package accesstokens_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestFakeAdminPolicyEndpointsRoundTripThroughTheSDK(t *testing.T) {
	t.Parallel()
	for _, v := range fakeVariants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			var srvOpts []accesstokenstest.Option
			if v.contextPath != "" {
				srvOpts = append(srvOpts, accesstokenstest.WithContextPath(v.contextPath))
			}
			srv := startFake(t, srvOpts...)
			c := fakeClientAs(t, srv, accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword, accesstokens.WithAPIVersion(v.version))
			ctx := testContext(t)
			admin := v.contextPath + "/rest/access-tokens/" + v.version + "/admin"

			p, err := c.Admin.GetExpiryPolicy(ctx)
			require.NoError(t, err)
			assert.Equal(t, 0, p.MaxExpiryDays, "the demo world has no policy")

			require.NoError(t, c.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 45}))
			assert.Equal(t, 45, srv.ExpiryPolicy())
			p, err = c.Admin.GetExpiryPolicy(ctx)
			require.NoError(t, err)
			assert.Equal(t, 45, p.MaxExpiryDays)

			require.NoError(t, c.Admin.DeleteExpiryPolicy(ctx))
			assert.Equal(t, 0, srv.ExpiryPolicy())
			p, err = c.Admin.GetExpiryPolicy(ctx)
			require.NoError(t, err)
			assert.Equal(t, 0, p.MaxExpiryDays)

			assert.Equal(t, []string{
				"GET " + admin, "PUT " + admin, "GET " + admin, "DELETE " + admin, "GET " + admin,
			}, requestLines(srv))
		})
	}
}

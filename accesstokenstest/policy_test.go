// Tests of policy.go: the admin expiry policy endpoint.

package accesstokenstest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestAdminPolicyBelowOneIsRejected(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{"maxExpiryDays":0}`, `{"maxExpiryDays":-3}`, `{}`, `{"maxExpiryDays":"x"}`} {
		t.Run(body, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			res := call(t, srv, http.MethodPut, "/admin", asAdmin, body)
			require.Equal(t, http.StatusBadRequest, res.status)
			e := res.firstError(t)
			assert.Equal(t, "maxExpiryDays", e["context"])
			assert.Equal(t, accesstokenstest.ExceptionArgumentValidation, e["exceptionName"])
			assert.Zero(t, srv.ExpiryPolicy())
		})
	}
}

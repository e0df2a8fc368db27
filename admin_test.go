package accesstokens_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// noPolicyHint is the part of Error() that explains a 404 from /admin.
const noPolicyHint = "does not offer the expiry-policy endpoint"

func TestGetExpiryPolicyDecodesEveryShapeOfAnswer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    int
	}{
		{"a policy", respond(t, http.StatusOK, "policy.json"), 90},
		{"another policy", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, []byte(`{"maxExpiryDays":7}`))
		}, 7},
		{"empty object", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, []byte(`{}`))
		}, 0},
		{"null maxExpiryDays", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, []byte(`{"maxExpiryDays":null}`))
		}, 0},
		{"empty 200", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
		}, 0},
		{"empty 200 with a JSON content type", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, nil)
		}, 0},
		{"204", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(http.MethodGet, "/admin", func(w http.ResponseWriter, r *http.Request) {
				assertNoBody(t, r)
				tc.handler(w, r)
			})

			p, err := c.Admin.GetExpiryPolicy(testContext(t))

			require.NoError(t, err)
			require.NotNil(t, p)
			assert.Equal(t, tc.want, p.MaxExpiryDays)
			assert.Equal(t, 1, ts.count(http.MethodGet, "/admin"))
		})
	}
}

func TestGetExpiryPolicyRejectsAnAnswerThatIsNotAPolicy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, contentType, body string
	}{
		{"HTML page", "text/html", "<html><body>Log in</body></html>"},
		{"truncated JSON", "application/json", `{"maxExpiryDays":`},
		{"wrong type", "application/json", `{"maxExpiryDays":"ninety"}`},
		{"negative days", "application/json", `{"maxExpiryDays":-3}`},
		{"array", "application/json", `[90]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(http.MethodGet, "/admin", func(w http.ResponseWriter, r *http.Request) {
				writeRawBody(w, http.StatusOK, tc.contentType, []byte(tc.body))
			})

			var p *accesstokens.ExpiryPolicy
			var err error
			require.NotPanics(t, func() { p, err = c.Admin.GetExpiryPolicy(testContext(t)) })

			require.Error(t, err)
			assert.Nil(t, p)
			assert.Contains(t, err.Error(), apiRoot+"/admin")
		})
	}
}

func TestSetExpiryPolicySendsExactlyMaxExpiryDays(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		days    int
		respond func(w http.ResponseWriter)
	}{
		{"200 with the policy", 90, func(w http.ResponseWriter) { writeJSON(w, http.StatusOK, fixture(t, "policy.json")) }},
		{"204", 1, func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }},
		{"200 with an empty body", 365, func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(http.MethodPut, "/admin", func(w http.ResponseWriter, r *http.Request) {
				assertJSONBody(t, r, `{"maxExpiryDays":`+strconv.Itoa(tc.days)+`}`)
				assert.Empty(t, r.URL.RawQuery)
				tc.respond(w)
			})

			err := c.Admin.SetExpiryPolicy(testContext(t), accesstokens.ExpiryPolicy{MaxExpiryDays: tc.days})

			require.NoError(t, err)
			assert.Equal(t, 1, ts.count(http.MethodPut, "/admin"))
		})
	}
}

func TestDeleteExpiryPolicySendsDeleteToAdmin(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		respond func(w http.ResponseWriter)
	}{
		{"204", func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }},
		{"200 empty", func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }},
		{"200 with JSON", func(w http.ResponseWriter) { writeJSON(w, http.StatusOK, []byte(`{}`)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(http.MethodDelete, "/admin", func(w http.ResponseWriter, r *http.Request) {
				assertNoBody(t, r)
				tc.respond(w)
			})

			err := c.Admin.DeleteExpiryPolicy(testContext(t))

			require.NoError(t, err)
			assert.Equal(t, 1, ts.count(http.MethodDelete, "/admin"))
		})
	}
}

func TestSetExpiryPolicyBelowOneIsRejectedBeforeSending(t *testing.T) {
	t.Parallel()
	for _, days := range []int{0, -1, -365} {
		t.Run(strconv.Itoa(days), func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t) // no routes: any request fails the test

			err := c.Admin.SetExpiryPolicy(testContext(t), accesstokens.ExpiryPolicy{MaxExpiryDays: days})

			require.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
			var invalid *accesstokens.InvalidArgumentError
			require.ErrorAs(t, err, &invalid)
			assert.Equal(t, "MaxExpiryDays", invalid.Field)
			assert.Contains(t, err.Error(), "MaxExpiryDays")
			assert.Zero(t, ts.count(http.MethodPut, "/admin"))
		})
	}
}

// adminCalls are the three admin methods, each with the route it uses.
var adminCalls = []struct {
	name, method string
	call         func(ctx context.Context, c *accesstokens.Client) error
}{
	{"GetExpiryPolicy", http.MethodGet, func(ctx context.Context, c *accesstokens.Client) error {
		_, err := c.Admin.GetExpiryPolicy(ctx)
		return err
	}},
	{"SetExpiryPolicy", http.MethodPut, func(ctx context.Context, c *accesstokens.Client) error {
		return c.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 30})
	}},
	{"DeleteExpiryPolicy", http.MethodDelete, func(ctx context.Context, c *accesstokens.Client) error {
		return c.Admin.DeleteExpiryPolicy(ctx)
	}},
}

func TestAdminNotFoundSaysTheServerDoesNotOfferTheEndpoint(t *testing.T) {
	t.Parallel()
	bodies := []struct {
		name, contentType string
		body              []byte
	}{
		{"Bitbucket error body", "application/json", []byte(`{"errors":[{"context":null,"message":"No such resource","exceptionName":"com.atlassian.bitbucket.NoSuchEntityException"}]}`)},
		{"HTML 404 page", "text/html", []byte("<html><head><title>404 Not Found</title></head></html>")},
		{"empty body", "", nil},
	}
	for _, op := range adminCalls {
		for _, b := range bodies {
			t.Run(op.name+"/"+b.name, func(t *testing.T) {
				t.Parallel()
				ts, c := newTestServer(t)
				ts.on(op.method, "/admin", func(w http.ResponseWriter, r *http.Request) {
					writeRawBody(w, http.StatusNotFound, b.contentType, b.body)
				})

				err := op.call(testContext(t), c)

				require.ErrorIs(t, err, accesstokens.ErrNotFound)
				apiErr := requireAPIError(t, err)
				assert.Equal(t, http.StatusNotFound, apiErr.StatusCode)
				assert.Equal(t, op.method, apiErr.Method)
				assert.Equal(t, apiRoot+"/admin", apiErr.Path)
				assert.Contains(t, err.Error(), noPolicyHint)
				assert.Less(t, len(err.Error()), 600)
				for name, sentinel := range everySentinel {
					if sentinel != accesstokens.ErrNotFound {
						assert.NotErrorIs(t, err, sentinel, name)
					}
				}
			})
		}
	}
}

func TestAdminUnauthorizedHasNoMissingEndpointHint(t *testing.T) {
	t.Parallel()
	for _, op := range adminCalls {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(op.method, "/admin", respond(t, http.StatusUnauthorized, "error_unauthorized.json"))

			err := op.call(testContext(t), c)

			require.ErrorIs(t, err, accesstokens.ErrUnauthorized)
			assert.NotErrorIs(t, err, accesstokens.ErrNotFound)
			apiErr := requireAPIError(t, err)
			assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
			assert.Contains(t, err.Error(), "You are not permitted to access this resource")
			assert.NotContains(t, err.Error(), noPolicyHint)
		})
	}
}

func TestNotFoundOutsideAdminHasNoMissingEndpointHint(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t)
	ts.on(http.MethodGet, "/projects/PRJX", respond(t, http.StatusNotFound, "error_no_such_project.json"))

	_, err := c.ProjectTokens.List(testContext(t), "PRJX", nil)

	require.ErrorIs(t, err, accesstokens.ErrNotFound)
	assert.NotContains(t, err.Error(), noPolicyHint)
	assert.Contains(t, err.Error(), "Project PRJX does not exist.")
}

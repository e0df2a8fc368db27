package accesstokens_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDatesOutsideYears1970To9999AreDecodeErrorsNamingTheField: Bitbucket's
// dates are epoch milliseconds; a number no real date has (1e30 decoded as
// year -292275055) is an error that says which field, not a silent value.
func TestDatesOutsideYears1970To9999AreDecodeErrorsNamingTheField(t *testing.T) {
	t.Parallel()
	token := func(field, value string) string {
		return `{"id":"075905477751","name":"ci","createdDate":1672996351030,"permissions":["REPO_READ"],"` +
			field + `":` + value + `}`
	}
	bad := []struct{ field, value string }{
		{"createdDate", "1e30"},
		{"createdDate", "-1e30"},
		{"createdDate", "-1"},
		{"createdDate", "253402300800000"}, // 10000-01-01
		{"createdDate", "9223372036854775807"},
		{"createdDate", `"99999999999999999"`},
		{"createdDate", `"-5"`},
		{"createdDate", `"1969-12-31T23:59:59Z"`},
		{"expiryDate", "1e300"},
		{"expiryDate", "-62135596800000"}, // year 1
		{"lastAuthenticated", "1.5e16"},
		{"lastAuthenticated", `"0001-01-01T00:00:00Z"`},
	}
	for _, tc := range bad {
		t.Run(tc.field+"="+tc.value, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(http.MethodGet, "/projects/PRJ/1", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, []byte(token(tc.field, tc.value)))
			})

			tok, err := c.ProjectTokens.Get(testContext(t), "PRJ", "1")

			require.Error(t, err, "decoded as %v", tok)
			assert.Nil(t, tok)
			assert.Contains(t, err.Error(), tc.field)
			assert.Contains(t, err.Error(), "1970")
			var apiErr *accesstokens.Error
			assert.False(t, errors.As(err, &apiErr))
		})
	}
	good := []struct {
		field, value string
		want         time.Time
	}{
		{"createdDate", "0", time.Unix(0, 0).UTC()},
		{"createdDate", "253402300799999", time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC)},
		{"createdDate", "1.6729963510e12", time.UnixMilli(1672996351000).UTC()},
		{"createdDate", `"9999-12-31T23:59:59Z"`, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
	}
	for _, tc := range good {
		ts, c := newTestServer(t)
		ts.on(http.MethodGet, "/projects/PRJ/1", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, []byte(token(tc.field, tc.value)))
		})
		tok, err := c.ProjectTokens.Get(testContext(t), "PRJ", "1")
		require.NoError(t, err, tc.value)
		assert.Equal(t, tc.want, tok.CreatedDate, tc.value)
	}
}

// Internal tests of control.go.

package accesstokenstest

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestControlFaultCarriesEveryFaultField: POST /_fake/faults sets every field of a Go Fault. A
// field added to Fault but not to the control API fails the all-set check below.
func TestControlFaultCarriesEveryFaultField(t *testing.T) {
	t.Parallel()
	want := Fault{Method: "PUT", Path: "/users/*", Times: 3, Status: 502, RetryAfter: "9", Body: "<html>",
		ContentType: "text/html", DropConnection: true, Delay: 250 * time.Millisecond, AfterHandling: true}
	v := reflect.ValueOf(want)
	for i := range v.NumField() {
		require.False(t, v.Field(i).IsZero(), "set %s in this test and in the control API", v.Type().Field(i).Name)
	}
	got, e := decodeFault([]byte(`{"method":"PUT","path":"/users/*","times":3,"status":502,"retryAfter":"9",
		"body":"<html>","contentType":"text/html","dropConnection":true,"delay":"250ms","afterHandling":true}`))
	require.Nil(t, e)
	assert.Equal(t, want, got)
}

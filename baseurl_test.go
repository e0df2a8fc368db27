package accesstokens_test

import (
	"fmt"
	"testing"

	"github.com/bbdc-tools/accesstokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewClientRefusesInvalidBaseURLs(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"",
		"   ",
		"/bitbucket",
		"bitbucket.example.com",
		"bitbucket.example.com:7990",
		"ftp://bitbucket.example.com",
		"ws://bitbucket.example.com",
		"file:///etc/passwd",
		"mailto:admin@example.com",
		"https://",
		"http://:7990",
		"https://bitbucket.example.com/?a=1",
		"https://bitbucket.example.com/bitbucket?",
		"https://bitbucket.example.com/#frag",
		"https://alice:secret@bitbucket.example.com",
		"https://alice@bitbucket.example.com",
		"https://bitbucket.example.com/%zz",
		"https://bitbucket.example.com:port",
		"://bitbucket.example.com",
	} {
		t.Run(fmt.Sprintf("%q", raw), func(t *testing.T) {
			t.Parallel()
			c, err := accesstokens.NewClient(raw)
			assert.Nil(t, c)
			requireInvalidArgument(t, err, "baseURL")
		})
	}
}

// TestNewClientErrorNeverRepeatsAPasswordFromTheBaseURL: a refused base URL
// ends up in logs, so its password must not be in the error text.
func TestNewClientErrorNeverRepeatsAPasswordFromTheBaseURL(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"https://alice:hunter2secret@bitbucket.example.com",
		"ftp://alice:hunter2secret@bitbucket.example.com",
		"https://alice:hunter2secret@bitbucket.example.com/%zz",
		"https://alice:hunter2secret@bitbucket.example.com/?q=1",
		"https://alice:hunter2secret@bitbucket.example.com:port",
	} {
		t.Run(raw, func(t *testing.T) {
			t.Parallel()
			_, err := accesstokens.NewClient(raw)
			require.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
			assert.NotContains(t, err.Error(), "hunter2secret")
		})
	}
}

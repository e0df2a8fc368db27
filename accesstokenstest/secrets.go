// Secrets as Bitbucket mints them: base64 of "<id>:" and 20 random bytes, after "BBDC-" or not.

package accesstokenstest

import (
	"crypto/rand"
	"encoding/base64"
)

// newSecret makes a secret as Bitbucket does: base64("<id>:" + 20 random bytes), after "BBDC-"
// unless the secrets are unprefixed (WithUnprefixedSecrets).
func newSecret(id string, prefixed bool) string {
	raw := make([]byte, 20)
	if _, err := rand.Read(raw); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	secret := base64.StdEncoding.EncodeToString(append([]byte(id+":"), raw...))
	if prefixed {
		return secretPrefix + secret
	}
	return secret
}

// secretPrefix starts every secret the fake mints (see newSecret).
const secretPrefix = "BBDC-"

// WithUnprefixedSecrets mints secrets without the "BBDC-" prefix: the plain base64 of "<id>:"
// and 20 random bytes (44 characters), as in the examples of Atlassian's 9.2 and 9.4
// specifications, where captures from servers of 2023 show the prefix. Which version added it is
// not known, so this is a choice of its own, not part of [WithServerVersion]. Secrets are
// blanked from recorded requests as before, looked up at every offset instead of after each
// "BBDC-".
func WithUnprefixedSecrets() Option { return func(c *config) { c.unprefixedSecrets = true } }

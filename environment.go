package accesstokens

// The BITBUCKET_* environment: the one reader of it, for NewClientFromEnv
// and for programs that take the same variables.

import (
	"os"
	"strconv"
)

// NewClientFromEnv reads BITBUCKET_URL, and BITBUCKET_TOKEN (Bearer) or
// BITBUCKET_USERNAME with BITBUCKET_PASSWORD (Basic); opts apply after the
// environment, so they can override it. BITBUCKET_INSECURE_HTTP=1 (or true)
// stands for WithInsecureHTTP, for whoever sets the environment to choose
// plain http to another host on purpose.
func NewClientFromEnv(opts ...Option) (*Client, error) {
	baseURL := os.Getenv("BITBUCKET_URL")
	if baseURL == "" {
		return nil, invalidArg("BITBUCKET_URL", "is not set")
	}
	var envOpts []Option
	token, user, pass := os.Getenv("BITBUCKET_TOKEN"), os.Getenv("BITBUCKET_USERNAME"), os.Getenv("BITBUCKET_PASSWORD")
	switch {
	case token != "":
		envOpts = append(envOpts, WithToken(token))
	case user != "" || pass != "":
		if user == "" {
			return nil, invalidArg("BITBUCKET_USERNAME", "is not set but BITBUCKET_PASSWORD is")
		}
		if pass == "" {
			return nil, invalidArg("BITBUCKET_PASSWORD", "is not set but BITBUCKET_USERNAME is")
		}
		envOpts = append(envOpts, WithBasicAuth(user, pass))
	}
	if v := os.Getenv("BITBUCKET_INSECURE_HTTP"); v != "" {
		insecure, err := strconv.ParseBool(v)
		if err != nil {
			return nil, invalidArg("BITBUCKET_INSECURE_HTTP", "must be 1 or 0 (true or false), got %q", v)
		}
		if insecure {
			envOpts = append(envOpts, WithInsecureHTTP())
		}
	}
	return NewClient(baseURL, append(envOpts, opts...)...)
}

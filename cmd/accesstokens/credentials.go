package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bbdc-tools/accesstokens"
)

// Which credential a run uses, how mistakes in giving one are reported, and
// what to do when Bitbucket refuses a token where only a password works.

// checkCredentialFlags refuses --username without --password-stdin and the
// reverse: a password is never a flag.
func (f *Factory) checkCredentialFlags() error {
	c := f.conn
	if c.passwordStdin && c.username == "" {
		return usageError("--password-stdin needs --username")
	}
	if c.username != "" && !c.passwordStdin {
		return usageError("--username needs --password-stdin (a password is never a flag: it would show in ps and shell history)")
	}
	return nil
}

// checkCredentialEnv refuses an environment that gives no credential, or
// half of a user name and password.
func (f *Factory) checkCredentialEnv() error {
	if f.conn.username != "" || f.Getenv("BITBUCKET_TOKEN") != "" {
		return nil
	}
	user, pass := f.Getenv("BITBUCKET_USERNAME"), f.Getenv("BITBUCKET_PASSWORD")
	switch {
	case user == "" && pass == "":
		return usageError("no credentials: set BITBUCKET_TOKEN, or BITBUCKET_USERNAME and BITBUCKET_PASSWORD, or use --username with --password-stdin")
	case user == "":
		return usageError("BITBUCKET_PASSWORD is set but BITBUCKET_USERNAME is not")
	case pass == "":
		return usageError("BITBUCKET_USERNAME is set but BITBUCKET_PASSWORD is not")
	}
	return nil
}

// credentials picks, in order: --username with --password-stdin,
// BITBUCKET_TOKEN, BITBUCKET_USERNAME with BITBUCKET_PASSWORD. When both
// variables are set, stderr says which one is used.
func (f *Factory) credentials() (accesstokens.Option, error) {
	if f.conn.username != "" {
		password, err := readPassword(f.IO.In, f.IO.ErrOut, f.conn.username)
		if err != nil {
			return nil, err
		}
		return accesstokens.WithBasicAuth(f.conn.username, password), nil
	}
	if token := f.Getenv("BITBUCKET_TOKEN"); token != "" {
		if f.Getenv("BITBUCKET_USERNAME") != "" {
			fmt.Fprintln(f.IO.ErrOut, "accesstokens: BITBUCKET_TOKEN and BITBUCKET_USERNAME are both set: using BITBUCKET_TOKEN (unset it to use BITBUCKET_USERNAME and BITBUCKET_PASSWORD)")
		}
		f.usedToken = true
		return accesstokens.WithToken(token), nil
	}
	return accesstokens.WithBasicAuth(f.Getenv("BITBUCKET_USERNAME"), f.Getenv("BITBUCKET_PASSWORD")), nil
}

// connError turns the SDK's refusal of a URL or credential into a usage
// error naming where it came from.
func connError(err error) error {
	var inv *accesstokens.InvalidArgumentError
	if !errors.As(err, &inv) {
		return err
	}
	where := map[string]string{
		"baseURL":  "--url/BITBUCKET_URL",
		"token":    "BITBUCKET_TOKEN",
		"username": "--username/BITBUCKET_USERNAME",
		"password": "the password",
	}[inv.Field]
	if where == "" {
		where = inv.Field
	}
	// The SDK names its option; the command's user has a flag and a variable.
	reason := strings.ReplaceAll(inv.Reason, "WithInsecureHTTP()", "--insecure-http (or BITBUCKET_INSECURE_HTTP=1)")
	return usageError("%s: %s", where, reason)
}

// tokenRefusedAdvice is what works where Bitbucket refuses a token.
const tokenRefusedAdvice = "Bitbucket refuses token credentials (BITBUCKET_TOKEN) for managing tokens, " +
	"for admin endpoints and for the user directory: use the user name and password of an admin instead " +
	"(BITBUCKET_USERNAME with BITBUCKET_PASSWORD, or --username with --password-stdin)"

// adviseOnRefusal adds tokenRefusedAdvice to the error of a run that used
// BITBUCKET_TOKEN and was answered "not permitted": the token worked as a
// login, but Bitbucket does not let tokens do this. A token that did not
// authenticate at all gets no advice: it is wrong, not refused.
func (f *Factory) adviseOnRefusal(err error) error {
	if err == nil || !f.usedToken || errors.Is(err, accesstokens.ErrAuthentication) {
		return err
	}
	if !errors.Is(err, accesstokens.ErrNotPermitted) && !errors.Is(err, accesstokens.ErrUnauthorized) {
		return err
	}
	return fmt.Errorf("%w; %s", err, tokenRefusedAdvice)
}

package main

import (
	"errors"
	"fmt"
	"strconv"
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

// environ is the environment as the run sees it: the flags that stand for
// a variable win over it. --url is BITBUCKET_URL; --ca-cert is
// BITBUCKET_CA_CERT, so that the SDK's reader reads the flag's file too;
// --username hides the credential variables (its password comes from stdin).
func (f *Factory) environ(key string) string {
	switch key {
	case accesstokens.EnvURL:
		if f.conn.url != "" {
			return f.conn.url
		}
	case accesstokens.EnvCACert:
		if f.conn.caCert != "" {
			return f.conn.caCert
		}
	case accesstokens.EnvToken, accesstokens.EnvUsername, accesstokens.EnvPassword:
		if f.conn.username != "" {
			return ""
		}
	}
	return f.Getenv(key)
}

// readEnvironment reads the BITBUCKET_* variables, and the flags that stand
// for them, through the SDK's one reader: the credential (BITBUCKET_TOKEN
// winning over BITBUCKET_USERNAME, which stderr then says), the CA file and
// BITBUCKET_INSECURE_HTTP. A mistake is a usage error naming the variable,
// or the flag that stood for it.
func (f *Factory) readEnvironment() (*accesstokens.Environment, error) {
	env, err := accesstokens.ReadEnvironment(f.environ)
	if err != nil {
		return nil, f.envError(err)
	}
	if env.Ignored != "" {
		fmt.Fprintf(f.IO.ErrOut, "accesstokens: %s and %s are both set: using %s (unset it to use %s and %s)\n",
			accesstokens.EnvToken, accesstokens.EnvUsername, accesstokens.EnvToken, accesstokens.EnvUsername, accesstokens.EnvPassword)
	}
	f.trust = serverTrust{caFile: f.environ(accesstokens.EnvCACert), insecure: f.conn.insecureHTTP || envTrue(f.environ(accesstokens.EnvInsecureHTTP))}
	return env, nil
}

// envError names, in the SDK's refusal of a variable, the flag that stood
// for it when there was one.
func (f *Factory) envError(err error) error {
	var inv *accesstokens.InvalidArgumentError
	if !errors.As(err, &inv) {
		return err
	}
	where := inv.Field
	if inv.Field == accesstokens.EnvCACert && f.conn.caCert != "" {
		where = "--ca-cert"
	}
	return usageError("%s: %s", where, inv.Reason)
}

// credentials picks, in order: --username with --password-stdin (the
// password read now), then what the environment gives.
func (f *Factory) credentials(env *accesstokens.Environment) (accesstokens.Option, error) {
	if f.conn.username != "" {
		password, err := readPassword(f.IO.In, f.IO.ErrOut, f.conn.username)
		if err != nil {
			return nil, err
		}
		return accesstokens.WithBasicAuth(f.conn.username, password), nil
	}
	f.usedToken = env.Credential == accesstokens.CredentialToken
	return env.Credentials, nil
}

// envTrue reads a boolean variable that ReadEnvironment has already
// accepted.
func envTrue(v string) bool {
	b, err := strconv.ParseBool(v)
	return err == nil && b
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
	"(" + passwordSettings + ")"

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
	if strings.Contains(err.Error(), sdkTokenRefusedHint) {
		// The SDK has explained the refusal already; say only how to give a password.
		return fmt.Errorf("%w (%s)", err, passwordSettings)
	}
	return fmt.Errorf("%w; %s", err, tokenRefusedAdvice)
}

// sdkTokenRefusedHint is how the SDK's error begins to explain a token that
// Bitbucket refused (accesstokens' servertext.go): such an error gets only
// the command's ways of giving a password, not the explanation again.
const sdkTokenRefusedHint = "Bitbucket does not accept access tokens"

// passwordSettings are the command's ways of giving an admin's password.
const passwordSettings = "BITBUCKET_USERNAME with BITBUCKET_PASSWORD, or --username with --password-stdin"

// Server versions: what application-properties reports, and the wire shapes that differ between
// Bitbucket 8.x and 9.x or later.

package accesstokenstest

import (
	"fmt"
	"strconv"
	"strings"
)

// What GET /rest/api/latest/application-properties answers by default; [WithServerVersion] picks
// another version.
const (
	ServerVersion     = "8.19.1"
	ServerBuildNumber = "8019001"
	ServerBuildDate   = "1705913585952" // epoch milliseconds, as a string: 2024-01-22
	ServerDisplayName = "Bitbucket"
)

// serverVersion is a parsed MAJOR.MINOR[.PATCH].
type serverVersion struct {
	text                string
	major, minor, patch int
}

// buildNumber is Bitbucket's: the version's numbers in one, 8.19.1 as 8019001.
func (v serverVersion) buildNumber() string {
	return fmt.Sprintf("%d%03d%03d", v.major, v.minor, v.patch)
}

// leavesNullsOut says whether answers leave out fields that are null (9.x and later: an error's
// context, a bot's emailAddress) rather than send null (8.x).
func (v serverVersion) leavesNullsOut() bool { return v.major >= 9 }

// mintsShortIDs says whether token ids have 10 to 12 digits and no leading zero (9.x and later)
// rather than 12 digits that may start with zeros (8.x).
func (v serverVersion) mintsShortIDs() bool { return v.major >= 9 }

// parseServerVersion reads MAJOR.MINOR or MAJOR.MINOR.PATCH, each a number of at most three
// digits, the major at least 1.
func parseServerVersion(s string) (serverVersion, error) {
	parts := strings.Split(s, ".")
	bad := fmt.Errorf("server version %q: want MAJOR.MINOR[.PATCH], such as 8.19.1 or 9.4.0", s)
	if len(parts) < 2 || len(parts) > 3 {
		return serverVersion{}, bad
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || v > 999 || p != strconv.Itoa(v) {
			return serverVersion{}, bad
		}
		n[i] = v
	}
	if n[0] < 1 {
		return serverVersion{}, bad
	}
	return serverVersion{text: s, major: n[0], minor: n[1], patch: n[2]}, nil
}

// CheckServerVersion reports whether [WithServerVersion] accepts v, with an error that says what
// to write when it does not.
func CheckServerVersion(v string) error {
	_, err := parseServerVersion(v)
	return err
}

// WithServerVersion makes the fake answer as Bitbucket version v does (MAJOR.MINOR[.PATCH], such
// as "9.4.0"; the default is [ServerVersion]) where the versions are known to differ:
//
//   - application-properties reports v, with the build number Bitbucket derives from it ("9.4.0"
//     is "9004000") and [ServerBuildDate];
//   - 9.x and later leave out fields that would be null: a bot's emailAddress, an error's context
//     and exceptionName; 8.x and earlier send them as null;
//   - 9.x and later mint token ids of 10 to 12 digits without a leading zero, as captures from 9.x
//     servers show; 8.x and earlier mint 12-digit ids that may start with zeros ("075905477751").
//
// Whether a version still serves the admin expiry policy and whether its secrets start with
// "BBDC-" are not known per version: see [WithoutExpiryPolicyEndpoint] and
// [WithUnprefixedSecrets]. It panics if v is not a version ([CheckServerVersion] says why).
func WithServerVersion(v string) Option {
	sv, err := parseServerVersion(v)
	if err != nil {
		panic("accesstokenstest: WithServerVersion: " + err.Error())
	}
	return func(c *config) { c.version = sv }
}

// defaultServerVersion is ServerVersion, parsed.
var defaultServerVersion = serverVersion{text: ServerVersion, major: 8, minor: 19, patch: 1}

// appProperties is what application-properties answers.
func (f *Fake) appProperties() wireAppProperties {
	v := f.cfg.version
	return wireAppProperties{Version: v.text, BuildNumber: v.buildNumber(), BuildDate: ServerBuildDate,
		DisplayName: ServerDisplayName}
}

package accesstokens

import (
	"bytes"
	"encoding/base64"
	"math"
	"net/url"
	"strconv"
	"strings"
)

// What a leaked secret or a user name in an access log says about its
// token: the token id every secret carries, and the project or repository
// whose tokens a bot user holds.

// Every secret Bitbucket makes is base64 of "<token id>:" followed by 20
// random bytes (44 characters for a 12-digit id), with "BBDC-" in front on
// newer servers. Atlassian's 9.2 and 9.4 specifications show it: their
// example secret decodes to their example token id, 252973515069.
const (
	secretPrefix      = "BBDC-"
	secretRandomBytes = 20
	maxSecretLength   = 128 // far longer than any secret of the format
	maxTokenIDDigits  = 19  // the most digits a token id of the format may have
)

// TokenID returns the id of the token the secret belongs to, which
// Bitbucket writes into every secret it makes (base64 of "<id>:" and 20
// random bytes, with or without "BBDC-" in front), so that a leaked secret
// can be found and revoked without asking the server with it. ok is false
// for a value of any other shape: a secret from another system, a mistyped
// or cut one. Spaces around the value are ignored.
//
// It reads the value in a buffer it wipes before it returns, and neither
// logs nor keeps it; the id is no secret (Bitbucket lists it with the token).
func (s Secret) TokenID() (id string, ok bool) {
	if s.v == nil || len(*s.v) > maxSecretLength {
		return "", false
	}
	value := bytes.Clone(*s.v)
	defer clear(value)
	maskSecret(value)
	return tokenIDIn(bytes.TrimPrefix(bytes.TrimSpace(value), []byte(secretPrefix)))
}

// tokenIDIn decodes encoded (base64 in either alphabet, padded or not) and
// returns the token id it starts with.
func tokenIDIn(encoded []byte) (string, bool) {
	decoded := make([]byte, base64.RawStdEncoding.DecodedLen(len(encoded))+2)
	defer clear(decoded)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		n, err := enc.Decode(decoded, encoded)
		if err != nil {
			continue
		}
		colon := bytes.IndexByte(decoded[:n], ':')
		if colon < 1 || colon > maxTokenIDDigits || n-colon-1 != secretRandomBytes || !allDigits(decoded[:colon]) {
			return "", false
		}
		return string(decoded[:colon]), true
	}
	return "", false
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// BotUser is what the name of a project or repository token's owner says.
// Bitbucket makes one SERVICE user for the tokens of each project, named
// "access-token-user/1/<project id>", and one for those of each repository,
// "access-token-user/2/<repository id>"; its slug has "_" for "/". That 1
// means a project and 2 a repository is read off servers' answers, not
// documented by Atlassian. Exactly one of the ids is set.
type BotUser struct {
	ProjectID    int // the project whose tokens the bot holds; 0 for a repository's bot
	RepositoryID int // the repository whose tokens the bot holds; 0 for a project's bot
}

const botUserPrefix = "access-token-user"

// ParseBotUser reads the name or the slug of a token's bot user:
// "access-token-user/2/1405", "access-token-user_2_1405", or the name
// percent-encoded as a header may carry it ("access-token-user%2F2%2F1405").
// ok is false for any other user name, and for an id that is not a
// positive number as Bitbucket writes it (no sign, no leading zeros).
func ParseBotUser(nameOrSlug string) (BotUser, bool) {
	if strings.Contains(nameOrSlug, "%") {
		unescaped, err := url.PathUnescape(nameOrSlug)
		if err != nil {
			return BotUser{}, false
		}
		nameOrSlug = unescaped
	}
	rest, ok := strings.CutPrefix(nameOrSlug, botUserPrefix)
	if !ok || len(rest) < 4 || (rest[0] != '/' && rest[0] != '_') || rest[2] != rest[0] {
		return BotUser{}, false
	}
	id, ok := botResourceID(rest[3:])
	switch {
	case !ok:
		return BotUser{}, false
	case rest[1] == '1':
		return BotUser{ProjectID: id}, true
	case rest[1] == '2':
		return BotUser{RepositoryID: id}, true
	}
	return BotUser{}, false
}

// botResourceID reads a project's or a repository's id as Bitbucket writes
// it in a bot's name: digits, no leading zero, at most an int32.
func botResourceID(s string) (int, bool) {
	if s == "" || s[0] == '0' || !allDigits([]byte(s)) {
		return 0, false
	}
	id, err := strconv.Atoi(s)
	if err != nil || id > math.MaxInt32 {
		return 0, false
	}
	return id, true
}

// Name returns the bot's user name, "access-token-user/1/42" or
// "access-token-user/2/1405"; "" for the zero BotUser.
func (b BotUser) Name() string { return b.join("/") }

// Slug returns the bot's slug, "access-token-user_1_42" or
// "access-token-user_2_1405"; "" for the zero BotUser.
func (b BotUser) Slug() string { return b.join("_") }

func (b BotUser) join(sep string) string {
	switch {
	case b.ProjectID > 0:
		return botUserPrefix + sep + "1" + sep + strconv.Itoa(b.ProjectID)
	case b.RepositoryID > 0:
		return botUserPrefix + sep + "2" + sep + strconv.Itoa(b.RepositoryID)
	}
	return ""
}

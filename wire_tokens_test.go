package accesstokens_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// recorded returns the bytes of testdata/recorded/name: an answer a real
// Bitbucket sent (see the README beside them).
func recorded(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "recorded", name))
	require.NoError(t, err)
	return b
}

// epochMS is an epoch-millisecond date, as Bitbucket writes them.
func epochMS(millis int64) time.Time { return time.UnixMilli(millis).UTC() }

func msPtr(millis int64) *time.Time {
	t := epochMS(millis)
	return &t
}

// cannedServer answers every request with the next of bodies (the last one
// again once they run out) as JSON, and records the request targets.
type cannedServer struct {
	mu      sync.Mutex
	bodies  []string
	targets []string
}

func (s *cannedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.targets = append(s.targets, r.Method+" "+r.URL.RequestURI())
	body := s.bodies[0]
	if len(s.bodies) > 1 {
		s.bodies = s.bodies[1:]
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = io.WriteString(w, body)
}

func (s *cannedServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.targets...)
}

// newCannedClient serves bodies to a client without retries.
func newCannedClient(t testing.TB, bodies ...string) (*accesstokens.Client, *cannedServer) {
	t.Helper()
	cs := &cannedServer{bodies: bodies}
	srv := httptest.NewServer(cs)
	t.Cleanup(srv.Close)
	c, err := accesstokens.NewClient(srv.URL, accesstokens.WithToken("wire-test"), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	require.NoError(t, err)
	return c, cs
}

// botUser is the owner of the repository tokens in the recorded bodies.
var botUser = &accesstokens.User{ID: 16772, Name: "access-token-user/2/1405", Slug: "access-token-user_2_1405",
	DisplayName: "Access Token User - xxxx", Active: true, Type: "SERVICE"}

func TestRecordedTokenBodiesDecodeWithEncodingJSON(t *testing.T) {
	t.Parallel()
	apiUser := &accesstokens.User{ID: 12910, Name: "api-user", Slug: "api-user", DisplayName: "Api User",
		EmailAddress: "api-user@e.mail", Active: true, Type: "NORMAL"}

	var page accesstokens.Page[accesstokens.AccessToken]
	require.NoError(t, json.Unmarshal(recorded(t, "neticdk_user_tokens_page.json"), &page))
	assert.True(t, page.IsLastPage)
	assert.Equal(t, 5, page.Size)
	assert.Equal(t, 25, page.Limit)
	require.Len(t, page.Values, 5)
	assert.Equal(t, accesstokens.AccessToken{ID: "2512744587", Name: "Drone 01", CreatedDate: epochMS(1654079617056),
		LastAuthenticated: msPtr(1673222715653), Permissions: []accesstokens.Permission{accesstokens.ProjectWrite, accesstokens.RepoWrite},
		User: apiUser}, page.Values[0], "a 10-digit id, never used to expire")

	var repoPage accesstokens.Page[accesstokens.AccessToken]
	require.NoError(t, json.Unmarshal(recorded(t, "neticdk_repo_tokens_page.json"), &repoPage))
	require.Len(t, repoPage.Values, 2)
	assert.Equal(t, accesstokens.AccessToken{ID: "848894838086", Name: "demo expire", CreatedDate: epochMS(1672997457717),
		ExpiryDate: msPtr(1680769857717), Permissions: []accesstokens.Permission{accesstokens.RepoRead}, User: botUser},
		repoPage.Values[0], "a bot user's emailAddress is null")
	assert.Nil(t, repoPage.Values[1].ExpiryDate)
	assert.Nil(t, repoPage.Values[1].LastAuthenticated)

	var tok accesstokens.AccessToken
	require.NoError(t, json.Unmarshal(recorded(t, "neticdk_user_token.json"), &tok))
	assert.Equal(t, "313791499779", tok.ID)
	assert.Equal(t, epochMS(1612337130284), tok.CreatedDate)
	assert.Equal(t, msPtr(1672809528662), tok.LastAuthenticated)

	var created accesstokens.RawAccessToken
	require.NoError(t, json.Unmarshal(recorded(t, "neticdk_repo_token_created.json"), &created))
	assert.Equal(t, "909906670557", created.ID)
	assert.Equal(t, msPtr(1684062651341), created.ExpiryDate)
	assert.Equal(t, "BBDC-xxxx", created.Token.Reveal())
}

func TestRecordedTokenBodiesDecodeTheSameThroughTheClient(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"neticdk_user_tokens_page.json", "neticdk_repo_tokens_page.json"} {
		body := recorded(t, name)
		var viaJSON accesstokens.Page[accesstokens.AccessToken]
		require.NoError(t, json.Unmarshal(body, &viaJSON))
		c, _ := newCannedClient(t, string(body))

		viaClient, err := c.RepoTokens.List(context.Background(), "PRJ", "repo", nil)

		require.NoError(t, err)
		assert.Equal(t, viaJSON.Values, viaClient.Values, name)
		assert.Equal(t, viaJSON.IsLastPage, viaClient.IsLastPage, name)
	}
}

func TestTokensMarshalToBitbucketsWireFormat(t *testing.T) {
	t.Parallel()
	tok := accesstokens.AccessToken{ID: "075905477751", Name: "ci", CreatedDate: epochMS(1672997457717),
		ExpiryDate: msPtr(1680769857717), Permissions: []accesstokens.Permission{accesstokens.RepoRead}}

	b, err := json.Marshal(tok)

	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"075905477751","name":"ci","createdDate":1672997457717,"expiryDate":1680769857717,
		"permissions":["REPO_READ"]}`, string(b), "dates in epoch ms, an unused token has no lastAuthenticated")
	var back accesstokens.AccessToken
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, tok, back)

	b, err = json.Marshal(accesstokens.AccessToken{ID: "1"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"1","name":"","permissions":[]}`, string(b), "permissions is a list, as Bitbucket sends it")
}

func TestRecordedTokensSurviveARoundTripThroughJSON(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"neticdk_user_tokens_page.json", "neticdk_repo_tokens_page.json"} {
		var page accesstokens.Page[accesstokens.AccessToken]
		require.NoError(t, json.Unmarshal(recorded(t, name), &page))
		b, err := json.Marshal(page)
		require.NoError(t, err)
		var back accesstokens.Page[accesstokens.AccessToken]
		require.NoError(t, json.Unmarshal(b, &back), "%s", b)
		assert.Equal(t, page.Values, back.Values, name)
		assert.Equal(t, page.IsLastPage, back.IsLastPage, name)
		assert.Equal(t, page.Limit, back.Limit, name)
	}
}

func TestACreatedTokensSecretNeverMarshals(t *testing.T) {
	t.Parallel()
	var created accesstokens.RawAccessToken
	require.NoError(t, json.Unmarshal(recorded(t, "neticdk_user_token_created.json"), &created))
	require.Equal(t, "BBDC-..", created.Token.Reveal())
	created.Token = accesstokens.NewSecret("BBDC-NzU5MDU0Nzc3NTE6c2VjcmV0LXZhbHVlLWZvci10ZXN0cw")

	b, err := json.Marshal(created)

	require.NoError(t, err)
	assert.NotContains(t, string(b), "NzU5MDU0")
	var fields map[string]any
	require.NoError(t, json.Unmarshal(b, &fields))
	assert.Equal(t, "[REDACTED]", fields["token"])
	assert.Equal(t, "786587856882", fields["id"])
	assert.InDelta(t, 1684328824446, fields["expiryDate"], 0)
}

func TestUnmarshalKeepsLeadingZerosAndReadsISODatesAndNulls(t *testing.T) {
	t.Parallel()
	var tok accesstokens.AccessToken
	err := json.Unmarshal([]byte(`{"id":"000000000042","name":"spec-shaped","createdDate":"2023-01-06T09:30:57.717Z",
		"expiryDate":null,"lastAuthenticated":"2023-04-06T08:30:57.717+02:00","permissions":null,"user":null}`), &tok)

	require.NoError(t, err)
	assert.Equal(t, accesstokens.AccessToken{ID: "000000000042", Name: "spec-shaped", CreatedDate: epochMS(1672997457717),
		LastAuthenticated: msPtr(1680762657717)}, tok)
}

// pastYear9999 is an expiry Bitbucket accepted for a create of 3,000,000
// days: a date no time.Time the SDK allows can hold.
const pastYear9999 = "259200000000000"

func TestATokenWithAnUnreadableDateIsAnInvalidTokenErrorWithWhatCouldBeRead(t *testing.T) {
	t.Parallel()
	var tok accesstokens.AccessToken
	err := json.Unmarshal([]byte(`{"id":"077","name":"absurd","createdDate":1672997457717,"expiryDate":`+pastYear9999+`,
		"permissions":["REPO_READ"]}`), &tok)

	var inv *accesstokens.InvalidTokenError
	require.ErrorAs(t, err, &inv)
	assert.Equal(t, "expiryDate", inv.Field)
	assert.Equal(t, "077", inv.Token.ID)
	assert.Equal(t, "absurd", inv.Token.Name)
	assert.Equal(t, epochMS(1672997457717), inv.Token.CreatedDate)
	assert.Nil(t, inv.Token.ExpiryDate, "no made-up expiry")
	assert.Equal(t, inv.Token, tok, "the value holds what was read too")
	assert.Contains(t, err.Error(), "token 077")
	assert.Contains(t, err.Error(), "expiryDate")
	assert.Contains(t, err.Error(), "1970 to 9999")
}

func TestAnInvalidTokenErrorQuotesNoServerTextButDatesAndIDs(t *testing.T) {
	t.Parallel()
	var tok accesstokens.AccessToken
	err := json.Unmarshal([]byte(`{"id":"x\u001b[2Ky","name":"n","createdDate":"Authorization: Bearer s3cr3t"}`), &tok)

	var inv *accesstokens.InvalidTokenError
	require.ErrorAs(t, err, &inv)
	assert.Equal(t, "createdDate", inv.Field)
	assert.NotContains(t, err.Error(), "s3cr3t")
	assert.NotContains(t, err.Error(), "\x1b", "an id that is not digits is quoted")
}

// pageOfThree is a page whose middle token expires after the year 9999.
const pageOfThree = `{"size":3,"limit":25,"isLastPage":true,"start":0,"values":[
	{"id":"101","name":"first","createdDate":1672997457717,"permissions":["REPO_READ"]},
	{"id":"102","name":"absurd","createdDate":1672997457717,"expiryDate":` + pastYear9999 + `,"permissions":["REPO_READ"]},
	{"id":"103","name":"third","createdDate":1672997457717,"permissions":["REPO_READ"]}]}`

func TestListReturnsEveryTokenOfAPageWithAnUnreadableOne(t *testing.T) {
	t.Parallel()
	c, _ := newCannedClient(t, pageOfThree)

	page, err := c.ProjectTokens.List(context.Background(), "PRJ", nil)

	var inv *accesstokens.InvalidTokenError
	require.ErrorAs(t, err, &inv)
	assert.Equal(t, "102", inv.Token.ID)
	assert.Equal(t, "expiryDate", inv.Field)
	require.NotNil(t, page, "the page comes back with the error")
	require.Len(t, page.Values, 3)
	assert.Equal(t, []string{"101", "102", "103"}, []string{page.Values[0].ID, page.Values[1].ID, page.Values[2].ID})
	assert.Nil(t, page.Values[1].ExpiryDate)
	assert.True(t, page.IsLastPage)
}

func TestAllYieldsAnUnreadableTokenWithItsErrorAndGoesOn(t *testing.T) {
	t.Parallel()
	first := strings.Replace(pageOfThree, `"isLastPage":true,"start":0,`, `"isLastPage":false,"start":0,"nextPageStart":3,`, 1)
	last := `{"size":1,"limit":25,"isLastPage":true,"start":3,"values":[{"id":"104","name":"next page","createdDate":1672997457717}]}`
	c, cs := newCannedClient(t, first, last)

	var ids []string
	var errs []error
	for tok, err := range c.Tokens.All(context.Background(), accesstokens.ProjectScope("PRJ"), nil) {
		ids = append(ids, tok.ID)
		errs = append(errs, err)
	}

	assert.Equal(t, []string{"101", "102", "103", "104"}, ids, "the walk goes on after the unreadable token")
	assert.NoError(t, errs[0])
	var inv *accesstokens.InvalidTokenError
	require.ErrorAs(t, errs[1], &inv)
	assert.Equal(t, "102", inv.Token.ID)
	assert.NoError(t, errs[2])
	assert.NoError(t, errs[3])
	assert.Len(t, cs.requests(), 2)
}

func TestListReportsEveryUnreadableTokenOfAPage(t *testing.T) {
	t.Parallel()
	body := `{"size":4,"limit":25,"isLastPage":true,"start":0,"values":[
		{"id":"201","name":"a","createdDate":-5},
		{"id":"202","name":"b","createdDate":1672997457717},
		{"id":"203","name":"c","createdDate":1672997457717,"lastAuthenticated":"yesterday"},
		{"id":"204","name":"d","createdDate":1e300,"expiryDate":1e300}]}`
	c, _ := newCannedClient(t, body)

	page, err := c.UserTokens.List(context.Background(), "alice", nil)

	require.Error(t, err)
	require.NotNil(t, page)
	assert.Len(t, page.Values, 4)
	bad := accesstokens.InvalidTokens(err)
	require.Len(t, bad, 3)
	assert.Equal(t, []string{"201", "203", "204"}, []string{bad[0].Token.ID, bad[1].Token.ID, bad[2].Token.ID})
	assert.Equal(t, []string{"createdDate", "lastAuthenticated", "createdDate"}, []string{bad[0].Field, bad[1].Field, bad[2].Field})
	assert.Contains(t, bad[2].Error(), "expiryDate", "a second bad date of one token is named too")
	var first *accesstokens.InvalidTokenError
	require.ErrorAs(t, err, &first)
	assert.Equal(t, "201", first.Token.ID)
	assert.Equal(t, "accesstokens: 3 tokens could not be read in full: token 201 (createdDate); token 203 (lastAuthenticated); token 204 (createdDate)", err.Error())
	assert.Nil(t, accesstokens.InvalidTokens(errors.New("other")))
}

func TestGetOfATokenWithAnUnreadableDateIsAnErrorNotANeverExpiringToken(t *testing.T) {
	t.Parallel()
	c, _ := newCannedClient(t, `{"id":"102","name":"absurd","createdDate":1672997457717,"expiryDate":`+pastYear9999+`}`)

	tok, err := c.ProjectTokens.Get(context.Background(), "PRJ", "102")

	assert.Nil(t, tok)
	var inv *accesstokens.InvalidTokenError
	require.ErrorAs(t, err, &inv)
	assert.Equal(t, "102", inv.Token.ID)
	assert.Equal(t, "expiryDate", inv.Field)
}

func TestACreateAnsweredWithAnUnreadableDateNamesTheTokenItMade(t *testing.T) {
	t.Parallel()
	c, _ := newCannedClient(t, `{"id":"105","name":"absurd","createdDate":1672997457717,"expiryDate":`+pastYear9999+`,
		"permissions":["REPO_READ"],"token":"BBDC-MTA1OnNlY3JldC1ieXRlcy1oZXJlLTIwYg=="}`)

	raw, err := c.RepoTokens.Create(context.Background(), "PRJ", "repo", accesstokens.CreateTokenRequest{
		Name: "absurd", Permissions: []accesstokens.Permission{accesstokens.RepoRead}})

	assert.Nil(t, raw)
	require.ErrorIs(t, err, accesstokens.ErrOutcomeUnknown, "the server made a token the client cannot hand over")
	var inv *accesstokens.InvalidTokenError
	require.ErrorAs(t, err, &inv)
	assert.Equal(t, "105", inv.Token.ID, "the error says which token exists")
	assert.NotContains(t, err.Error(), "MTA1OnNlY3JldC1ieXRlcy1oZXJlLTIwYg", "nor shows its secret")
}

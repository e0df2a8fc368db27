package accesstokensmock_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokensmock"
)

// pair is one (value, error) an iter.Seq2 yielded.
type pair struct {
	v   string
	err error
}

// collect ranges over seq, stopping after limit pairs (limit < 0: never), and
// returns what it saw.
func collect(seq func(func(string, error) bool), limit int) []pair {
	var got []pair
	seq(func(v string, err error) bool {
		got = append(got, pair{v, err})
		return limit < 0 || len(got) < limit
	})
	return got
}

func TestSeq(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		items []string
		limit int
		want  []pair
	}{
		{"all items, nil errors, in order", []string{"a", "b", "c"}, -1, []pair{{"a", nil}, {"b", nil}, {"c", nil}}},
		{"no items", nil, -1, nil},
		{"stops when yield returns false", []string{"a", "b", "c"}, 2, []pair{{"a", nil}, {"b", nil}}},
		{"stops after the first", []string{"a", "b"}, 1, []pair{{"a", nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, collect(accesstokensmock.Seq(tt.items...), tt.limit))
		})
	}
}

func TestSeqCanBeRangedAgainAndOwnsItsItems(t *testing.T) {
	t.Parallel()
	items := []string{"a", "b"}
	seq := accesstokensmock.Seq(items...)
	items[0] = "changed"

	want := []pair{{"a", nil}, {"b", nil}}
	assert.Equal(t, want, collect(seq, -1))
	assert.Equal(t, want, collect(seq, -1), "a second range yields the same items")
}

func TestSeqWithError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name  string
		err   error
		items []string
		limit int
		want  []pair
	}{
		{"items, then the error", boom, []string{"a", "b"}, -1, []pair{{"a", nil}, {"b", nil}, {"", boom}}},
		{"only the error", boom, nil, -1, []pair{{"", boom}}},
		{"stops before the error when yield returns false", boom, []string{"a", "b"}, 1, []pair{{"a", nil}}},
		{"stops on the error when yield returns false there", boom, []string{"a"}, 2, []pair{{"a", nil}, {"", boom}}},
		{"nil error: just the items", nil, []string{"a"}, -1, []pair{{"a", nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, collect(accesstokensmock.SeqWithError(tt.err, tt.items...), tt.limit))
		})
	}
}

// TestSeqWithErrorEndsAForLoopLikeAll: the error arrives as the loop
// variable, after the items, as code ranging over the SDK's All sees it.
func TestSeqWithErrorEndsAForLoopLikeAll(t *testing.T) {
	t.Parallel()
	listErr := accesstokensmock.NewError(503, "Service Unavailable")
	var ids []string
	var gotErr error
	for tok, err := range accesstokensmock.SeqWithError(listErr, accesstokens.AccessToken{ID: "1"}, accesstokens.AccessToken{ID: "2"}) {
		if err != nil {
			gotErr = err
			break
		}
		ids = append(ids, tok.ID)
	}
	assert.Equal(t, []string{"1", "2"}, ids)
	require.ErrorIs(t, gotErr, accesstokens.ErrServer)
}

func TestNewErrorFields(t *testing.T) {
	t.Parallel()
	err := accesstokensmock.NewError(404, "No access token with ID 7 exists.")

	assert.Equal(t, 404, err.StatusCode)
	assert.Equal(t, []accesstokens.ErrorMessage{{
		Message:       "No access token with ID 7 exists.",
		ExceptionName: "com.atlassian.bitbucket.NoSuchEntityException",
	}}, err.Messages)
	assert.Zero(t, err.RetryAfter)
}

func TestNewErrorText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status  int
		message string
		want    string
	}{
		{404, "No access token with ID 7 exists.", "accesstokens: 404 Not Found: No access token with ID 7 exists."},
		{401, "You are not permitted to access this resource", "accesstokens: 401 Unauthorized: You are not permitted to access this resource"},
		{400, "Name is required", "accesstokens: 400 Bad Request: Name is required"},
		{503, "down for maintenance", "accesstokens: 503 Service Unavailable: down for maintenance"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, accesstokensmock.NewError(tt.status, tt.message).Error())
		})
	}
}

func TestNewErrorAs(t *testing.T) {
	t.Parallel()
	wrapped := fmt.Errorf("revoking token 7: %w", accesstokensmock.NewError(409, "conflict"))

	var apiErr *accesstokens.Error
	require.ErrorAs(t, wrapped, &apiErr)
	assert.Equal(t, 409, apiErr.StatusCode)
	assert.ErrorIs(t, wrapped, accesstokens.ErrConflict)
}

// sentinels is every sentinel error of the root package.
var sentinels = map[string]error{
	"ErrBadRequest":      accesstokens.ErrBadRequest,
	"ErrUnauthorized":    accesstokens.ErrUnauthorized,
	"ErrForbidden":       accesstokens.ErrForbidden,
	"ErrNotFound":        accesstokens.ErrNotFound,
	"ErrConflict":        accesstokens.ErrConflict,
	"ErrRateLimited":     accesstokens.ErrRateLimited,
	"ErrServer":          accesstokens.ErrServer,
	"ErrInvalidArgument": accesstokens.ErrInvalidArgument,
	"ErrOutcomeUnknown":  accesstokens.ErrOutcomeUnknown,
	"ErrAuthentication":  accesstokens.ErrAuthentication,
	"ErrNotPermitted":    accesstokens.ErrNotPermitted,
}

// TestNewErrorMatchesLikeAServerAnswer puts NewError's status and messages on
// the wire, reads them back through the real client, and checks that the two
// errors match exactly the same sentinels, and that the status's own sentinel
// is among them.
func TestNewErrorMatchesLikeAServerAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		want   []error // the sentinels it matches, the status class's first
	}{
		{400, []error{accesstokens.ErrBadRequest}},
		{401, []error{accesstokens.ErrUnauthorized, accesstokens.ErrNotPermitted}},
		{403, []error{accesstokens.ErrForbidden, accesstokens.ErrNotPermitted}},
		{404, []error{accesstokens.ErrNotFound}},
		{409, []error{accesstokens.ErrConflict}},
		{422, nil},
		{429, []error{accesstokens.ErrRateLimited}},
		{500, []error{accesstokens.ErrServer}},
		{502, []error{accesstokens.ErrServer}},
		{503, []error{accesstokens.ErrServer}},
		{504, []error{accesstokens.ErrServer}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			t.Parallel()
			stub := accesstokensmock.NewError(tt.status, "the server's words")
			server := serverAnswer(t, stub)

			assert.Equal(t, stub.StatusCode, server.StatusCode)
			assert.Equal(t, server.Messages, stub.Messages)
			for name, sentinel := range sentinels {
				assert.Equal(t, errors.Is(server, sentinel), errors.Is(stub, sentinel),
					"errors.Is(_, %s): server answer vs NewError", name)
				assert.Equal(t, slices.Contains(tt.want, sentinel), errors.Is(stub, sentinel),
					"errors.Is(NewError(%d), %s)", tt.status, name)
			}
		})
	}
}

// serverAnswer serves e's status and messages as Bitbucket's error body to a
// GET through the real client (retries off) and returns the client's *Error.
func serverAnswer(t *testing.T, e *accesstokens.Error) *accesstokens.Error {
	t.Helper()
	type wireMessage struct {
		Context       *string `json:"context"`
		Message       string  `json:"message"`
		ExceptionName *string `json:"exceptionName"`
	}
	var body struct {
		Errors []wireMessage `json:"errors"`
	}
	for _, m := range e.Messages {
		wm := wireMessage{Message: m.Message}
		if m.ExceptionName != "" {
			wm.ExceptionName = &m.ExceptionName
		}
		body.Errors = append(body.Errors, wm)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(e.StatusCode)
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)

	client, err := accesstokens.NewClient(srv.URL,
		accesstokens.WithBasicAuth("alice", "alice"), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	require.NoError(t, err)
	_, err = client.ProjectTokens.Get(context.Background(), "PRJ", "7")
	var apiErr *accesstokens.Error
	require.ErrorAs(t, err, &apiErr)
	return apiErr
}

package accesstokens_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// The fuzz targets feed arbitrary bodies to every decoder through the real
// client, via an in-process transport, and require an error or a consistent
// value: never a panic. Seeds live in testdata/fuzz/<target>.

// cannedBody is an http.RoundTripper that answers every request with one
// status, content type and body.
type cannedBody struct {
	status      int
	contentType string
	retryAfter  string
	body        []byte
}

func (c cannedBody) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	h := http.Header{}
	if c.contentType != "" {
		h.Set("Content-Type", c.contentType)
	}
	if c.retryAfter != "" {
		h.Set("Retry-After", c.retryAfter)
	}
	return &http.Response{
		Status:        strconv.Itoa(c.status) + " " + http.StatusText(c.status),
		StatusCode:    c.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(c.body)),
		ContentLength: int64(len(c.body)),
		Request:       req,
	}, nil
}

// cannedClient is a client, without retries, whose every request gets rt's answer.
func cannedClient(t *testing.T, rt cannedBody) *accesstokens.Client {
	t.Helper()
	c, err := accesstokens.NewClient("http://127.0.0.1:7990/bitbucket", accesstokens.WithToken("fuzz-token"),
		accesstokens.WithRetry(accesstokens.RetryPolicy{}), accesstokens.WithHTTPClient(&http.Client{Transport: rt}))
	require.NoError(t, err)
	return c
}

const fuzzJSON = "application/json;charset=UTF-8"

func fuzzCheckToken(t *testing.T, tok *accesstokens.AccessToken) {
	t.Helper()
	require.NotNil(t, tok)
	require.NotEmpty(t, tok.ID)
	if tok.ExpiryDate != nil {
		require.False(t, tok.ExpiryDate.IsZero())
	}
	if tok.LastAuthenticated != nil {
		require.False(t, tok.LastAuthenticated.IsZero())
	}
}

func FuzzToken(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		c := cannedClient(t, cannedBody{status: http.StatusOK, contentType: fuzzJSON, body: body})
		ctx := context.Background()

		tok, err := c.ProjectTokens.Get(ctx, "PRJ", "1")
		if err == nil {
			fuzzCheckToken(t, tok)
		} else {
			require.Nil(t, tok)
		}

		created, err := c.UserTokens.Create(ctx, "alice", accesstokens.CreateTokenRequest{
			Name: "fuzz", Permissions: []accesstokens.Permission{accesstokens.RepoRead},
		})
		if err == nil {
			require.NotNil(t, created)
			fuzzCheckToken(t, &created.AccessToken)
			require.NotEmpty(t, created.Token.Reveal())
		} else {
			require.Nil(t, created)
		}
	})
}

func FuzzPage(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		c := cannedClient(t, cannedBody{status: http.StatusOK, contentType: fuzzJSON, body: body})

		page, err := c.RepoTokens.List(context.Background(), "PRJ", "repo", nil)
		if err != nil && accesstokens.InvalidTokens(err) == nil { // a page with unreadable tokens comes back with them
			require.Nil(t, page)
			return
		}
		require.NotNil(t, page)
		for i := range page.Values {
			fuzzCheckToken(t, &page.Values[i])
		}
	})
}

func FuzzErrorBody(f *testing.F) {
	f.Fuzz(func(t *testing.T, serverError bool, retryAfter string, body []byte) {
		status := http.StatusBadRequest
		if serverError {
			status = http.StatusInternalServerError
		}
		rt := cannedBody{status: status, contentType: fuzzJSON, retryAfter: retryAfter, body: body}
		c := cannedClient(t, rt)

		_, err := c.UserTokens.Get(context.Background(), "alice", "1")

		var apiErr *accesstokens.Error
		require.True(t, errors.As(err, &apiErr), "%v", err)
		require.Equal(t, status, apiErr.StatusCode)
		require.Less(t, len(err.Error()), 1024)
		require.GreaterOrEqual(t, apiErr.RetryAfter, time.Duration(0))
		require.LessOrEqual(t, apiErr.RetryAfter, 24*time.Hour)
		require.ErrorIs(t, err, map[bool]error{false: accesstokens.ErrBadRequest, true: accesstokens.ErrServer}[serverError])
	})
}

func FuzzPolicy(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		c := cannedClient(t, cannedBody{status: http.StatusOK, contentType: fuzzJSON, body: body})

		p, err := c.Admin.GetExpiryPolicy(context.Background())
		if err != nil {
			require.Nil(t, p)
			return
		}
		require.NotNil(t, p)
		require.GreaterOrEqual(t, p.MaxExpiryDays, 0)
	})
}

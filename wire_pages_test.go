package accesstokens_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// tinyTokensPage is a page of n tokens as small as a token can be, which
// says it applied limit (0: leaves limit out).
func tinyTokensPage(n, limit int) string {
	var b strings.Builder
	b.WriteString(`{"isLastPage":true,`)
	if limit > 0 {
		b.WriteString(`"limit":` + strconv.Itoa(limit) + `,`)
	}
	b.WriteString(`"values":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":"` + strconv.Itoa(i+1) + `"}`)
	}
	b.WriteString("]}")
	return b.String()
}

func TestAPageWithMoreValuesThanAskedForIsAnError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  *accesstokens.ListOptions
		body  string
		wants string
	}{
		{"more than the limit asked for", &accesstokens.ListOptions{Limit: 2}, tinyTokensPage(3, 0), "more than 2 values"},
		{"more than MaxPageValues when no limit is asked for", nil, tinyTokensPage(accesstokens.MaxPageValues+1, 0), "more than 1000 values"},
		{"more than the limit the server says it applied", nil, tinyTokensPage(26, 25), "26 values in a page whose limit is 25"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newCannedClient(t, tt.body)

			page, err := c.ProjectTokens.List(context.Background(), "PRJ", tt.opts)

			require.Error(t, err)
			assert.Nil(t, page)
			assert.Contains(t, err.Error(), tt.wants)
		})
	}
}

func TestAPageOfAsManyValuesAsAskedForIsRead(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		opts *accesstokens.ListOptions
		n    int
	}{{&accesstokens.ListOptions{Limit: 2}, 2}, {nil, accesstokens.MaxPageValues}, {&accesstokens.ListOptions{Limit: 1500}, 1500}} {
		c, cs := newCannedClient(t, tinyTokensPage(tt.n, 0))

		page, err := c.ProjectTokens.List(context.Background(), "PRJ", tt.opts)

		require.NoError(t, err, "%d values", tt.n)
		assert.Len(t, page.Values, tt.n)
		assert.Len(t, cs.requests(), 1)
	}
}

func TestAHugePageIsRefusedBeforeItsValuesAreBuilt(t *testing.T) {
	t.Parallel()
	// A million tokens of about ten bytes each: a 10 MB answer that once
	// became 600 MB of values before anything looked at how many there were.
	huge := tinyTokensPage(1_000_000, 0)
	require.Greater(t, len(huge), 10_000_000)
	c, _ := newCannedClient(t, huge)

	page, err := c.ProjectTokens.List(context.Background(), "PRJ", &accesstokens.ListOptions{Limit: 25})

	assert.Nil(t, page)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than 25 values")
}

// BenchmarkListRefusesAHugePage measures what refusing a 10 MB page of a
// million tiny tokens costs (B/op): the body, and at most the 25 values
// asked for, never a million.
func BenchmarkListRefusesAHugePage(b *testing.B) {
	huge := tinyTokensPage(1_000_000, 0)
	c, _ := newCannedClient(b, huge)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.ProjectTokens.List(ctx, "PRJ", &accesstokens.ListOptions{Limit: 25}); err == nil {
			b.Fatal("a page of a million tokens was accepted")
		}
	}
}

func TestPageJSONNeedsIsLastPageAndWritesTheEnvelopeBack(t *testing.T) {
	t.Parallel()
	var p accesstokens.Page[accesstokens.AccessToken]
	err := json.Unmarshal([]byte(`{"size":0,"limit":25,"start":0,"values":[]}`), &p)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no "isLastPage"`)

	require.NoError(t, json.Unmarshal([]byte(`{"size":1,"limit":1,"isLastPage":false,"start":0,"nextPageStart":7,
		"values":[{"id":"000000000003","createdDate":1672997457717,"name":"third"}]}`), &p))
	assert.Equal(t, 7, p.NextPageStart)
	b, err := json.Marshal(p)
	require.NoError(t, err)
	assert.JSONEq(t, `{"size":1,"limit":1,"isLastPage":false,"start":0,"nextPageStart":7,
		"values":[{"id":"000000000003","createdDate":1672997457717,"name":"third","permissions":[]}]}`, string(b))

	b, err = json.Marshal(accesstokens.Page[accesstokens.Project]{IsLastPage: true})
	require.NoError(t, err)
	assert.JSONEq(t, `{"size":0,"limit":0,"isLastPage":true,"start":0,"values":[]}`, string(b),
		"no nextPageStart on a last page, and values is a list")
}

func TestAPageThatIsNotOneIsAnError(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`[]`,
		`{"isLastPage":true,"values":{}}`,
		`{"isLastPage":true,"values":[],"values":[]}`,
		`{"isLastPage":true,"values":[{"id":"1"}]} {"isLastPage":true}`,
		`{"isLastPage":true,"values":[{"id":"1"},`,
		`{"isLastPage":true,"values":[{"name":"no id"}]}`,
	} {
		c, _ := newCannedClient(t, body)
		page, err := c.ProjectTokens.List(context.Background(), "PRJ", nil)
		assert.Error(t, err, body)
		assert.Nil(t, page, body)
		var p accesstokens.Page[accesstokens.AccessToken]
		if body != `{"isLastPage":true,"values":[{"name":"no id"}]}` { // the client alone checks ids
			assert.Error(t, json.Unmarshal([]byte(body), &p), body)
		}
	}
}

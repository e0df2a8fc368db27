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

// A page reads the same whether its body is short enough for one
// json.Unmarshal (1000 values asked for) or is read value by value (as many
// values asked for as it holds, far fewer than its bytes could hold).
func TestAPageReadsTheSameInOnePassAndValueByValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		values int  // in the page
		ok     bool // read without an error of its own (unreadable tokens aside)
	}{
		{"a page with more to come", `{"size":2,"limit":2,"isLastPage":false,"start":4,"nextPageStart":6,
			"values":[{"id":"1","name":"a","createdDate":1672997457717,"permissions":["REPO_READ"]},{"id":"2","name":"b"}]}`, 2, true},
		{"values null", `{"size":0,"limit":25,"isLastPage":true,"start":0,"values":null}`, 0, true},
		{"no values", `{"isLastPage":true}`, 0, true},
		{"values empty", `{"isLastPage":true,"values":[]}`, 0, true},
		{"size after values", `{"isLastPage":true,"values":[{"id":"1"}],"size":1}`, 1, true},
		{"keys of other names", `{"isLastPage":true,"links":{"self":[{"href":"x"}]},"values":[{"id":"1","extra":[1,{"a":null}]}]}`, 1, true},
		{"keys in other case, as encoding/json matches them", `{"IsLastPage":true,"SIZE":1,"Values":[{"id":"1"}]}`, 1, true},
		{"a token named values", `{"isLastPage":true,"values":[{"id":"1","name":"values"}]}`, 1, true},
		{"unreadable tokens", `{"size":4,"limit":25,"isLastPage":true,"start":0,"values":[
			{"id":"201","name":"a","createdDate":-5},
			{"id":"202","name":"b","createdDate":1672997457717},
			{"id":"203","name":"c","createdDate":1672997457717,"lastAuthenticated":"yesterday"},
			{"id":"204","name":"d","createdDate":1e300,"expiryDate":1e300}]}`, 4, true},
		{"not an object", `[{"id":"1"}]`, 1, false},
		{"values not a list", `{"isLastPage":true,"values":{}}`, 0, false},
		{"values twice", `{"isLastPage":true,"values":[],"values":[]}`, 0, false},
		{"more after the page", `{"isLastPage":true,"values":[{"id":"1"}]} {"isLastPage":true}`, 1, false},
		{"cut short", `{"isLastPage":true,"values":[{"id":"1"},`, 1, false},
		{"a token without id", `{"isLastPage":true,"values":[{"name":"no id"}]}`, 1, false},
		{"a token of the wrong type", `{"isLastPage":true,"values":[{"id":7}]}`, 1, false},
		{"no isLastPage", `{"size":1,"values":[{"id":"1"}]}`, 1, false},
		{"size not a number", `{"isLastPage":true,"size":"one","values":[{"id":"1"}]}`, 1, false},
		{"more values than its own limit", tinyTokensPage(26, 25), 26, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			onePass, _ := newCannedClient(t, tt.body)
			byValue, _ := newCannedClient(t, tt.body)
			ctx := context.Background()

			page, err := onePass.ProjectTokens.List(ctx, "PRJ", &accesstokens.ListOptions{Limit: 1000})
			streamed, streamErr := byValue.ProjectTokens.List(ctx, "PRJ", &accesstokens.ListOptions{Limit: max(tt.values, 1)})

			require.Greater(t, len(tt.body), 2*max(tt.values, 1)+1, "the body must be too long to be read in one pass")
			if !tt.ok {
				assert.Error(t, err)
				assert.Error(t, streamErr)
				assert.Nil(t, page)
				assert.Nil(t, streamed)
				return
			}
			if accesstokens.InvalidTokens(err) == nil {
				require.NoError(t, err)
			}
			assert.Equal(t, err, streamErr)
			require.NotNil(t, page)
			assert.Len(t, page.Values, tt.values)
			assert.Equal(t, page, streamed)
		})
	}
}

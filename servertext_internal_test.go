package accesstokens

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestBodyExcerptMakesOneShortLineOfText(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want string
	}{
		{"HTML", "<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad\tGateway</h1></body></html>", "502 Bad Gateway Bad Gateway"},
		{"plain text with newlines", "Authentication\r\nfailed.\n\n", "Authentication failed."},
		{"empty", "", ""},
		{"only tags", "<br/><hr>", ""},
		{"invalid UTF-8 becomes a space", "bad\xffbyte", "bad byte"},
		{"a lone > is text", "a > b", "a > b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, bodyExcerpt([]byte(tc.in)))
		})
	}
}

func TestBodyExcerptIsBoundedForHugeBodies(t *testing.T) {
	t.Parallel()
	huge := []byte("<p>" + strings.Repeat("é word ", 1<<20) + "</p>")

	got := bodyExcerpt(huge)

	assert.LessOrEqual(t, len(got), maxServerTextInError+len("…"))
	assert.True(t, utf8.ValidString(got))
	assert.True(t, strings.HasPrefix(got, "é word é word"))
}

func TestTruncateKeepsUTF8Whole(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"short stays", "abc", 5, "abc"},
		{"exact stays", "abcde", 5, "abcde"},
		{"long is cut with an ellipsis", "abcdef", 3, "abc…"},
		{"does not split a rune", "aé", 2, "a…"},
		{"does not split a 4-byte rune", "a😀b", 3, "a…"},
		{"zero", "abc", 0, "…"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := truncate(tc.in, tc.n)
			assert.Equal(t, tc.want, got)
			assert.True(t, utf8.ValidString(got))
		})
	}
}

func TestNewErrorKeepsMessagesOrAnExcerpt(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("Retry-After", "3")

	withMessages := newError("GET", "/p", 429, h, []byte(`{"errors":[{"context":null,"message":"a"},{"context":"name","message":"b"}]}`), nil)
	assert.Equal(t, []ErrorMessage{{Message: "a"}, {Context: "name", Message: "b"}}, withMessages.Messages)
	assert.Equal(t, 3*time.Second, withMessages.RetryAfter)
	assert.Equal(t, "accesstokens: GET /p: 429 Too Many Requests: a; name: b (retry after 3s)", withMessages.Error())

	emptyErrors := newError("GET", "/p", 500, http.Header{}, []byte(`{"errors":[]}`), nil)
	assert.Empty(t, emptyErrors.Messages)
	assert.True(t, strings.HasPrefix(emptyErrors.Error(), "accesstokens: GET /p: 500 Internal Server Error"))

	noStatusText := newError("PUT", "/p", 599, http.Header{}, nil, nil)
	assert.Equal(t, "accesstokens: PUT /p: 599", noStatusText.Error())
}

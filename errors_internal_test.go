package accesstokens

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingReader yields an endless stream of 'x' and counts what was read.
type countingReader struct{ n int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	r.n += int64(len(p))
	return len(p), nil
}

func TestReadBodyTruncatesErrorBodiesAtTheCapWithoutReadingOn(t *testing.T) {
	t.Parallel()
	r := &countingReader{}

	body, err := readBody(r, -1, maxErrorBodyBytes, true)

	require.NoError(t, err)
	assert.Len(t, body, maxErrorBodyBytes)
	assert.LessOrEqual(t, r.n, int64(maxErrorBodyBytes+1), "reads stop one byte past the cap")
}

func TestReadBodyRefusesSuccessBodiesOverTheCap(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		body          string
		contentLength int64
		wantErr       bool
	}{
		{"exactly the cap", strings.Repeat("a", 10), -1, false},
		{"exactly the cap, announced", strings.Repeat("a", 10), 10, false},
		{"one byte over", strings.Repeat("a", 11), -1, true},
		{"announced over, nothing read", "", 11, true},
		{"under the cap", "abc", -1, false},
		{"empty", "", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body, err := readBody(strings.NewReader(tc.body), tc.contentLength, 10, false)
			if tc.wantErr {
				require.Error(t, err)
				assert.True(t, errors.Is(err, errBodyTooLarge))
				assert.Contains(t, err.Error(), "limit 10")
				assert.Nil(t, body)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.body, string(body))
		})
	}
}

func TestReadBodyStopsReadingAnEndlessSuccessBody(t *testing.T) {
	t.Parallel()
	r := &countingReader{}

	body, err := readBody(r, -1, 1<<20, false)

	require.ErrorIs(t, err, errBodyTooLarge)
	assert.Nil(t, body)
	assert.LessOrEqual(t, r.n, int64(1<<20+1))
}

func TestReadBodyPassesOnReadFailures(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("partial"), errReader{boom})

	body, err := readBody(r, -1, 1<<20, false)

	require.ErrorIs(t, err, boom)
	assert.Equal(t, "partial", string(body))
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

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

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"seconds", "120", 120 * time.Second, true},
		{"zero seconds", "0", 0, true},
		{"surrounding space", "  7 ", 7 * time.Second, true},
		{"HTTP date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"RFC 850 date", now.Add(time.Hour).Format(time.RFC850), time.Hour, true},
		{"date in the past is no wait", now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"huge seconds are capped at a day", strconv.FormatInt(1<<40, 10), 24 * time.Hour, true},
		{"negative", "-5", 0, false},
		{"empty", "", 0, false},
		{"garbage", "soon", 0, false},
		{"fraction", "1.5", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := parseRetryAfter(tc.in, now)
			assert.Equal(t, tc.wantOK, ok)
			assert.Equal(t, tc.want, got)
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

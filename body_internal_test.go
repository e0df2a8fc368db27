package accesstokens

import (
	"errors"
	"io"
	"strings"
	"testing"

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

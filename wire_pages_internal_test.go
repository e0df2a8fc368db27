package accesstokens

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A body is read with one json.Unmarshal only when it is too short to hold
// more values than allowed (n values take at least 2n+1 bytes), and when it
// has one "values" key at most; any other is read value by value.
func TestOnlyAPageTooShortToHoldMoreValuesThanAllowedIsReadInOnePass(t *testing.T) {
	t.Parallel()
	padded := func(n int) []byte { // a page of n bytes
		head := `{"isLastPage":true,"values":[],"pad":"`
		return []byte(head + strings.Repeat("x", n-len(head)-2) + `"}`)
	}
	tests := []struct {
		name      string
		maxValues int
		body      []byte
		onePass   bool
	}{
		{"as long as 1000 values can be", 1000, padded(2001), true},
		{"a byte longer", 1000, padded(2002), false},
		{"as long as 2 values can be", 2, padded(45), false},
		{"no bound", 0, padded(100_000), true},
		{"a second values key", 1000, []byte(`{"isLastPage":true,"values":[],"values":[]}`), false},
	}
	for _, tt := range tests {
		r := pageJSON[AccessToken, tokenJSON, *tokenJSON]{page: &Page[AccessToken]{}, maxValues: tt.maxValues}
		assert.Equal(t, tt.onePass, r.readsInOnePass(tt.body), tt.name)
	}
}

// Room for a page's values is made from its "size" when the body begins
// with it, as Bitbucket writes pages; any other body gets none made, and a
// huge "size" is cut down by the caller, never overflowing here.
func TestRoomForValuesComesFromASizeTheBodyBeginsWith(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]int{
		`{"size":3,"limit":1000,"isLastPage":true,"values":[]}`: 3,
		`{"size":25}`:                         25,
		`{"limit":1000,"size":3,"values":[]}`: 0,
		`{ "size":3,"values":[]}`:             0,
		`{"size":"3","values":[]}`:            0,
		`{"size":-3,"values":[]}`:             0,
	} {
		assert.Equal(t, want, sizeFirst([]byte(body)), body)
	}
	huge := sizeFirst([]byte(`{"size":99999999999999999999999,"values":[]}`))
	assert.Greater(t, huge, MaxPageValues)
	assert.Less(t, huge, 100*MaxPageValues)
}

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

package accesstokens_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

func TestSecretNewSecretMaskedAndIsZero(t *testing.T) {
	t.Parallel()
	var zero accesstokens.Secret
	assert.True(t, zero.IsZero())
	assert.Equal(t, "", zero.Reveal())
	assert.Equal(t, "", zero.Masked())
	assert.Equal(t, "[REDACTED]", zero.String(), "even the zero Secret prints the marker")
	assert.True(t, accesstokens.NewSecret("").IsZero())
	assert.False(t, accesstokens.NewSecret("x").IsZero())

	cases := []struct{ value, masked string }{
		{"BBDC-abcdefghijklmnopqrstuvwxyz", "BBDC-…wxyz"},
		{"BBDC-NzU5MDU0Nzc3NTE6c2VjcmV0LXZhbHVlLWZvci10ZXN0cw", "BBDC-…N0cw"},
		{"abcdefghijklmnopqrstuvwxyz", "…wxyz"},
		{"0123456789abcdef", "…cdef"}, // 16 characters: 12 stay hidden
		{"0123456789abcde", "…"},      // 15: too short to show any
		{"BBDC-short", "BBDC-…"},
		{"a", "…"},
		{"ÄÖÜäöüßÄÖÜäöüßÄÖÜ", "…ßÄÖÜ"}, // whole characters, not bytes
	}
	for _, tc := range cases {
		s := accesstokens.NewSecret(tc.value)
		assert.Equal(t, tc.value, s.Reveal())
		assert.Equal(t, tc.masked, s.Masked(), tc.value)
		assert.LessOrEqual(t, utf8.RuneCountInString(strings.TrimPrefix(strings.TrimPrefix(s.Masked(), "BBDC-"), "…")), 4)
	}
}

func TestSecretDecodesFromTheCreateAnswerAndRefusesNonStrings(t *testing.T) {
	t.Parallel()
	var raw accesstokens.RawAccessToken
	require.NoError(t, json.Unmarshal([]byte(`{"id":"1","token":"`+secretValue+`"}`), &raw))
	assert.Equal(t, secretValue, raw.Token.Reveal())

	var s accesstokens.Secret
	require.NoError(t, json.Unmarshal([]byte(`"BBDC-a\/b\u0041é"`), &s), "escapes are decoded")
	assert.Equal(t, "BBDC-a/bAé", s.Reveal())
	var null accesstokens.Secret
	require.NoError(t, json.Unmarshal([]byte(`null`), &null))
	assert.True(t, null.IsZero())
	for _, bad := range []string{`12345678901234567890`, `{"v":"` + secretValue + `"}`, `["` + secretValue + `"]`} {
		err := json.Unmarshal([]byte(bad), &s)
		require.Error(t, err, bad)
		assertNoLeak(t, err.Error())
	}
}

func ExampleSecret_Masked() {
	s := accesstokens.NewSecret("BBDC-NzU5MDU0Nzc3NTE6c2VjcmV0LXZhbHVlLWZvci10ZXN0cw")
	fmt.Println("secret:", s.Masked())
	fmt.Println("empty:", accesstokens.Secret{}.IsZero())
	// Output:
	// secret: BBDC-…N0cw
	// empty: true
}

package textsafe

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTerminalShowsEveryHiddenCharacterAsAnEscape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain name", "plain name"},
		{"café ✓ 名前", "café ✓ 名前"},
		{"\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", `\x1b]8;;http://evil\x1b\link\x1b]8;;\x1b\`},
		{"plan\x1b[2K\rrevoked", `plan\x1b[2K\rrevoked`},
		{"a\tb\nc", `a\tb\nc`},
		{"abc\u202edef", `abc\u202edef`},
		{"zero\u200bwidth", `zero\u200bwidth`},
		{"line\u2028sep", `line\u2028sep`},
		{"bom\ufeff", `bom\ufeff`},
		{"soft\u00adhyphen", `soft\u00adhyphen`},
		{"c1\u009bcsi", `c1\u009bcsi`},
		{"del\x7f", `del\x7f`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"tag\U000e0041", `tag\U000e0041`},
	} {
		assert.Equal(t, tc.want, Terminal(tc.in), "%q", tc.in)
	}
}

func TestBlankTurnsHiddenCharactersIntoSpaces(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "a b c d e", Blank("a\x1bb\u202ec\u2028d\xffe"))
	assert.Equal(t, "unchanged ✓", Blank("unchanged ✓"))
}

func TestCSVCellKeepsFormulasAsText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"+1+1", "'+1+1"},
		{"@SUM(1)", "'@SUM(1)"},
		{"-2+3", "'-2+3"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"-3", "-3"},
		{"+4.5", "+4.5"},
		{"ci-token", "ci-token"},
		{"", ""},
	} {
		assert.Equal(t, tc.want, CSVCell(tc.in), "%q", tc.in)
	}
}

// Where: the filter of --where (finding names, name=GLOB, dates, owner).

package audit

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Where is a bulk-revoke filter: terms joined with commas, all of which must
// hold. Build one with ParseWhere; the zero Where matches nothing.
type Where struct {
	terms []whereTerm
	expr  string
}

// whereTerm is one condition of a Where.
type whereTerm struct {
	text    string // as written (trimmed)
	finding Finding
	key     string // "" for a finding; else name, created-before, created-after, owner
	value   string
	date    time.Time
}

// ParseWhere reads a filter of the command's revoke --where: finding names
// (expired, unused, ...) and name=GLOB, created-before=DATE,
// created-after=DATE, owner=SLUG, joined with commas; all must hold. For
// example "unused,name=ci-*".
//
//   - GLOB matches the whole name: "*" any run of characters ("/" included),
//     "?" any one character, "\" makes the next character literal.
//   - DATE is 2006-01-02 (midnight UTC) or RFC 3339; created-before means
//     created strictly before that instant, created-after strictly after it.
//   - SLUG is compared to Token.Owner, ignoring case.
//
// An empty expression, an empty term, an unknown finding or key, a bad date
// or an empty value is an error naming the term that matches
// accesstokens.ErrInvalidArgument.
func ParseWhere(expr string) (Where, error) {
	if strings.TrimSpace(expr) == "" {
		return Where{}, invalid("where", "the expression is empty: use finding names and name=GLOB, created-before=DATE, created-after=DATE, owner=SLUG")
	}
	var w Where
	for _, raw := range strings.Split(expr, ",") {
		text := strings.TrimSpace(raw)
		t, err := parseWhereTerm(text, expr)
		if err != nil {
			return Where{}, err
		}
		w.terms = append(w.terms, t)
	}
	texts := make([]string, len(w.terms))
	for i, t := range w.terms {
		texts[i] = t.text
	}
	w.expr = strings.Join(texts, ",")
	return w, nil
}

func parseWhereTerm(text, expr string) (whereTerm, error) {
	if text == "" {
		return whereTerm{}, invalid("where", strconv.Quote(expr)+" has an empty term (two commas, or one at an end)")
	}
	key, value, hasValue := strings.Cut(text, "=")
	if !hasValue {
		f := Finding(text)
		if f.index() < 0 {
			return whereTerm{}, invalid("where", "unknown finding "+strconv.Quote(text)+": use "+findingNames()+", or name=, created-before=, created-after=, owner=")
		}
		return whereTerm{text: text, finding: f}, nil
	}
	key, value = strings.TrimSpace(key), strings.TrimSpace(value)
	t := whereTerm{text: key + "=" + value, key: key, value: value}
	if value == "" {
		return whereTerm{}, invalid("where", strconv.Quote(text)+": "+key+"= needs a value")
	}
	switch key {
	case "name", "owner":
	case "created-before", "created-after":
		d, err := ParseTime(value)
		if err != nil {
			return whereTerm{}, invalid("where", strconv.Quote(text)+": "+strconv.Quote(value)+" is not a date: use 2006-01-02 or RFC 3339 (2006-01-02T15:04:05Z)")
		}
		t.date = d
	default:
		return whereTerm{}, invalid("where", "unknown key "+strconv.Quote(key)+" in "+strconv.Quote(text)+": use name=, created-before=, created-after= or owner=")
	}
	return t, nil
}

// ParseTime reads a time as --where's dates and the command's --now take
// it: a date, 2006-01-02 (midnight UTC), or an RFC 3339 time.
func ParseTime(s string) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d, nil
	}
	return time.Parse(time.RFC3339, s)
}

// Match reports whether every term of w holds for t. The zero Where matches
// nothing, so that a filter that was never parsed cannot select every token.
func (w Where) Match(t Token) bool {
	if len(w.terms) == 0 {
		return false
	}
	for i := range w.terms {
		if !w.terms[i].match(&t) {
			return false
		}
	}
	return true
}

func (wt *whereTerm) match(t *Token) bool {
	switch wt.key {
	case "":
		return t.Has(wt.finding)
	case "name":
		return globMatch(wt.value, t.Name)
	case "owner":
		return strings.EqualFold(wt.value, t.Owner())
	case "created-before":
		return !t.CreatedDate.IsZero() && t.CreatedDate.Before(wt.date)
	case "created-after":
		return !t.CreatedDate.IsZero() && t.CreatedDate.After(wt.date)
	}
	return false
}

// String returns the filter as ParseWhere reads it, terms trimmed.
func (w Where) String() string { return w.expr }

// globMatch reports whether name matches pattern as a whole: "*" matches any
// run of characters, "?" any one character, "\x" the character x.
func globMatch(pattern, name string) bool {
	// Backtracking on the last star keeps this linear in practice and
	// O(len(pattern)*len(name)) at worst.
	px, nx := 0, 0
	starPx, starNx := -1, 0
	for px < len(pattern) || nx < len(name) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				starPx, starNx = px, nx
				px++
				continue
			case '?':
				if nx < len(name) {
					_, size := decodeRune(name[nx:])
					px++
					nx += size
					continue
				}
			default:
				lit, size := decodeRune(pattern[px:])
				if c == '\\' && px+1 < len(pattern) {
					lit, size = decodeRune(pattern[px+1:])
					size++
				}
				if nx < len(name) {
					r, n := decodeRune(name[nx:])
					if r == lit {
						px += size
						nx += n
						continue
					}
				}
			}
		}
		if starPx >= 0 && starNx < len(name) {
			_, n := decodeRune(name[starNx:])
			starNx += n
			px, nx = starPx+1, starNx
			continue
		}
		return false
	}
	return true
}

// decodeRune is utf8.DecodeRuneInString, in one place for globMatch.
func decodeRune(s string) (rune, int) { return utf8.DecodeRuneInString(s) }

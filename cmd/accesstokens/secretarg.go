// Arguments that look like a token secret (pasted where a command, a scope,
// an id or a flag's value goes): never repeated in an error.

package main

import (
	"strconv"
	"strings"

	"github.com/bbdc-tools/accesstokens"
)

// secretArgNote stands in a message for an argument that looks like a
// token secret.
const secretArgNote = "(that looks like a token secret; it was not shown)"

// looksLikeSecret reports whether s could be a token secret: it starts with
// "BBDC-", or carries a token id as every secret Bitbucket makes does.
func looksLikeSecret(s string) bool {
	if strings.HasPrefix(strings.TrimSpace(s), "BBDC-") {
		return true
	}
	_, ok := accesstokens.NewSecret(s).TokenID()
	return ok
}

// argText is an argument as a message shows it: in double quotes, or
// secretArgNote for one that looks like a token secret.
func argText(s string) string {
	if looksLikeSecret(s) {
		return secretArgNote
	}
	return strconv.Quote(s)
}

// minSecretWord is the shortest word hideSecrets looks at: "BBDC-" and more.
const minSecretWord = len("BBDC-") + 1

// hideSecrets replaces every word of msg that looks like a token secret
// (quoted or not, or as the value of a flag, "--flag=SECRET" or
// "-SECRET") with secretArgNote: the last guard of every error the command
// prints, whatever wrote it (cobra's flag errors, the SDK's reasons).
func hideSecrets(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); {
		if !isSecretChar(msg[i]) {
			b.WriteByte(msg[i])
			i++
			continue
		}
		j := i
		for j < len(msg) && isSecretChar(msg[j]) {
			j++
		}
		b.WriteString(hideInWord(msg[i:j]))
		i = j
	}
	return unquoteNotes(b.String())
}

// hideInWord is word with the part that looks like a secret replaced: the
// word itself, or what follows its leading dashes or an "=" in it.
func hideInWord(word string) string {
	if len(word) < minSecretWord {
		return word
	}
	starts := []int{0, len(word) - len(strings.TrimLeft(word, "-"))}
	for k := range len(word) - 1 {
		if word[k] == '=' && word[k+1] != '=' {
			starts = append(starts, k+1)
		}
	}
	for _, k := range starts {
		if looksLikeSecret(word[k:]) {
			return word[:k] + secretArgNote
		}
	}
	return word
}

// unquoteNotes drops the double quotes around a note that stands for a
// quoted secret.
func unquoteNotes(s string) string {
	return strings.ReplaceAll(s, `"`+secretArgNote+`"`, secretArgNote)
}

// isSecretChar reports the bytes a secret is made of: base64 in either
// alphabet, padding, and the "-" of "BBDC-".
func isSecretChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '+' || c == '/' || c == '=' || c == '-' || c == '_'
}

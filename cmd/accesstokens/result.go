package main

import (
	"encoding/json"
	"io"

	"github.com/bbdc-tools/accesstokens/audit"
)

// What create and rotate print on stdout about the token they made: with
// -o json the document {"token": TOKEN} (rotate adds "old"), never the
// secret; with the other formats the token as list and get show it.

// tokenResult is the -o json document of create and rotate.
type tokenResult struct {
	Token audit.Token    `json:"token"`
	Old   *oldTokenState `json:"old,omitempty"`
}

// oldTokenState is what became of the token rotate replaced.
type oldTokenState struct {
	ID      string `json:"id"`
	Revoked bool   `json:"revoked"`
}

// printResult writes the new token to w as format says.
func printResult(w io.Writer, format string, res tokenResult) error {
	if format == "json" {
		raw, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(raw, '\n'))
		return err
	}
	out := newTokenPrinter(format, w, true)
	if err := out.Print(res.Token); err != nil {
		return err
	}
	return out.Flush()
}

// checkResultFormat refuses an unknown -o, and -o json when the secret
// itself goes to stdout (--secret-to -): stdout then holds the secret alone.
func checkResultFormat(format, secretTo string) error {
	if err := checkFormat(format); err != nil {
		return err
	}
	if secretTo == "-" && format != "table" {
		return usageError("-o %s: stdout holds the secret alone with --secret-to -; write the secret to a file to get the token on stdout", format)
	}
	return nil
}

package audit

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJSONDocument(t *testing.T) {
	t.Parallel()
	got := writeReport(t, "json", reportTokens(), testSummary(), testMeta)
	want := "{\n" +
		`  "generatedAt": "2026-03-01T12:00:00Z",` + "\n" +
		`  "server": {"url": "https://git.example.com", "version": "9.4.1"},` + "\n" +
		`  "tokens": [` + "\n" +
		"    " + bareTokenJSON + ",\n" + // users before projects
		"    " + fullTokenJSON + "\n" +
		"  ],\n" +
		`  "scopes": ` + scopesJSON + ",\n" +
		`  "summary": ` + summaryJSON + "\n" +
		"}\n"
	assert.Equal(t, want, got)

	var doc struct {
		GeneratedAt string
		Server      struct{ URL, Version string }
		Scopes      struct {
			Read   int
			Failed []struct{ Scope, Error string }
		}
		Tokens  []map[string]any
		Summary map[string]int
	}
	require.NoError(t, json.Unmarshal([]byte(got), &doc))
	assert.Len(t, doc.Tokens, 2)
	assert.Equal(t, 5, doc.Scopes.Read)
	assert.Equal(t, "repo:PRJ/gone", doc.Scopes.Failed[0].Scope)
	assert.Len(t, doc.Summary, len(AllFindings())+1, "every finding and tokens")
}

func TestJSONDocumentWithoutTokensOrServer(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	w, err := NewWriter("json", &out, Meta{GeneratedAt: testMeta.GeneratedAt})
	require.NoError(t, err)
	require.NoError(t, w.Close(*newSummary()))
	assert.Equal(t, "{\n"+`  "generatedAt": "2026-03-01T12:00:00Z",`+"\n"+
		`  "server": {"url": null, "version": null},`+"\n"+
		`  "tokens": [],`+"\n"+
		`  "scopes": {"read":0,"failed":[]},`+"\n"+
		`  "summary": {"expired":0,"expiring":0,"no-expiry":0,"never-used":0,"unused":0,"admin":0,"inactive-owner":0,"bad-date":0,"tokens":0}`+"\n}\n",
		out.String())
	assert.True(t, json.Valid(out.Bytes()))
}

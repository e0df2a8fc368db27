package audit

import (
	"bytes"
	"testing"

	"github.com/bbdc-tools/accesstokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewWriterRejectsUnknownFormat(t *testing.T) {
	t.Parallel()
	_, err := NewWriter("yaml", &bytes.Buffer{}, Meta{})
	require.Error(t, err)
	assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
	assert.Contains(t, err.Error(), `"yaml"`)
	for _, f := range Formats {
		_, err := NewWriter(f, &bytes.Buffer{}, Meta{})
		assert.NoError(t, err, f)
	}
}

func TestWriterReportsOutputErrors(t *testing.T) {
	t.Parallel()
	for _, f := range Formats {
		w, err := NewWriter(f, failingWriter{}, Meta{})
		require.NoError(t, err)
		var werr error
		for range 2000 { // more than the buffer holds
			if werr = w.Write(reportTokens()[0]); werr != nil {
				break
			}
		}
		if werr == nil {
			werr = w.Close(testSummary())
		}
		assert.ErrorContains(t, werr, "broken pipe", f)
	}
}

// TestFormatsAreOneList: NewWriter, CheckFormat and Formats agree.
func TestFormatsAreOneList(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{"table", "json", "jsonl", "csv"}, Formats, "the default first")
	for _, f := range Formats {
		assert.NoError(t, CheckFormat(f))
		_, err := NewWriter(f, &bytes.Buffer{}, Meta{})
		assert.NoError(t, err, f)
	}
	err := CheckFormat("yaml")
	assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
	assert.ErrorContains(t, err, `unknown output format "yaml": use table, json, jsonl, csv`)
}

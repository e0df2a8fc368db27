package accesstokens

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// endlessPages is a server whose paging never ends: each page holds size
// values and moves forward. It counts the pages asked for.
type endlessPages struct {
	size  int
	pages int
}

func (e *endlessPages) fetch(_ context.Context, o *ListOptions) (*Page[int], error) {
	e.pages++
	values := make([]int, e.size)
	for i := range values {
		values[i] = o.Start + i
	}
	return &Page[int]{Values: values, Start: o.Start, NextPageStart: o.Start + e.size, hasNextPageStart: true}, nil
}

func TestAllStopsAnEndlessWalkAtMaxWalkPages(t *testing.T) {
	t.Parallel()
	server := &endlessPages{size: 1}

	n, err := walk(allItems(context.Background(), nil, server.fetch))

	require.ErrorIs(t, err, ErrWalkTooLong)
	assert.Contains(t, err.Error(), "100000 pages")
	assert.Equal(t, MaxWalkPages, server.pages)
	assert.Equal(t, MaxWalkPages, n)
}

func TestAllStopsAnEndlessWalkAtMaxWalkItems(t *testing.T) {
	t.Parallel()
	server := &endlessPages{size: 1000}

	n, err := walk(allItems(context.Background(), nil, server.fetch))

	require.ErrorIs(t, err, ErrWalkTooLong)
	assert.Contains(t, err.Error(), "1000000 values")
	assert.Equal(t, MaxWalkItems, n, "every value up to the bound is yielded")
	assert.Equal(t, MaxWalkItems/1000+1, server.pages)
}

// walk counts the values of seq up to its first error, and returns it.
func walk(seq func(func(int, error) bool)) (int, error) {
	n := 0
	for _, err := range seq {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, errors.New("the walk ended without an error")
}

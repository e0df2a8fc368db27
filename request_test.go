package accesstokens_test

import (
	"context"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestACreateCarriesNoGetBodySoNetHTTPCannotReplayIt: only the retry policy
// may repeat a create; net/http replays requests that have GetBody.
func TestACreateCarriesNoGetBodySoNetHTTPCannotReplayIt(t *testing.T) {
	t.Parallel()
	var createHadGetBody, updateHadGetBody atomic.Bool
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		switch r.Method {
		case http.MethodPut:
			createHadGetBody.Store(r.GetBody != nil)
			return jsonResponse(r, 200, fixture(t, "token_created.json")), nil
		default:
			updateHadGetBody.Store(r.GetBody != nil)
			return jsonResponse(r, 200, fixture(t, "token.json")), nil
		}
	})
	c, err := accesstokens.NewClient("https://bitbucket.example.com", accesstokens.WithToken("t"),
		accesstokens.WithHTTPClient(&http.Client{Transport: rt}))
	require.NoError(t, err)
	_, err = c.ProjectTokens.Create(testContext(t), "PRJ", accesstokens.CreateTokenRequest{
		Name: "ci", Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
	})
	require.NoError(t, err)
	name := "x"
	_, err = c.ProjectTokens.Update(testContext(t), "PRJ", "1", accesstokens.UpdateTokenRequest{Name: &name})
	require.NoError(t, err)
	assert.False(t, createHadGetBody.Load(), "a create must not be replayable by net/http")
	assert.True(t, updateHadGetBody.Load(), "an update may be")
}

func TestServersThatNeverFinishAnsweringAreCutOffByTheContext(t *testing.T) {
	t.Parallel()
	handlers := []struct {
		name string
		h    http.HandlerFunc
	}{
		{"200 body that trickles forever", trickle(http.StatusOK)},
		{"503 body that trickles forever", trickle(http.StatusServiceUnavailable)},
		{"no answer at all", silent},
	}
	for _, op := range decodingOps {
		for _, h := range handlers {
			t.Run(op.name+"/"+h.name, func(t *testing.T) {
				t.Parallel()
				ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry))
				ts.on(op.method, op.path, h.h)
				ctx, cancel := context.WithTimeout(testContext(t), 200*time.Millisecond)
				defer cancel()

				start := time.Now()
				_, err := op.call(ctx, c)

				require.Error(t, err)
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				assert.Less(t, time.Since(start), 3*time.Second)
			})
		}
	}
}

// trickle answers status and then sends one byte at a time, forever, until
// the client goes away.
func trickle(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so the server notices the client leaving
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for first := true; ; first = false {
			b := []byte(" ")
			if first {
				b = []byte("{")
			}
			if _, err := w.Write(b); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
		}
	}
}

// silent reads the request and never answers.
func silent(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	<-r.Context().Done()
}

package accesstokens

import (
	"container/heap"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The learner against a simulated Bitbucket: a token bucket per cluster
// node, answering 429 with a whole-second Retry-After as Bitbucket (and the
// fake) do, and workers that read scopes one request each, retrying 429s the
// way the Client does (the hold of every worker, then the pace). Time is
// simulated, so these tests are exact and quick; bench/pacing.sh measures
// the real thing against the fake.

// simBucket is one node's bucket for the one user.
type simBucket struct {
	tokens float64
	at     time.Time
}

type simServer struct {
	burst, refill float64
	nodes         []simBucket
	next          int
	headers       bool // send X-RateLimit-* headers
	latency       time.Duration
}

func newSimServer(burst, refill float64, nodes int, start time.Time) *simServer {
	s := &simServer{burst: burst, refill: refill, latency: 2 * time.Millisecond}
	for range nodes {
		s.nodes = append(s.nodes, simBucket{tokens: burst, at: start})
	}
	return s
}

// take answers one request at now: its status and header.
func (s *simServer) take(now time.Time) (int, http.Header) {
	b := &s.nodes[s.next]
	s.next = (s.next + 1) % len(s.nodes)
	b.tokens = math.Min(s.burst, b.tokens+now.Sub(b.at).Seconds()*s.refill)
	b.at = now
	h := http.Header{}
	if s.headers {
		h.Set("X-RateLimit-Limit", strconv.Itoa(int(s.burst)))
		h.Set("X-RateLimit-FillRate", strconv.FormatFloat(s.refill, 'g', -1, 64))
		h.Set("X-RateLimit-Interval-Seconds", "1")
	}
	if b.tokens >= 1 {
		b.tokens--
		return http.StatusOK, h
	}
	secs := max(1, int64(math.Ceil((1-b.tokens)/s.refill)))
	h.Set("Retry-After", strconv.FormatInt(secs, 10))
	return http.StatusTooManyRequests, h
}

// simEvent is a worker's next step at a time.
type simEvent struct {
	at   time.Time
	step func(now time.Time)
}

type simQueue []simEvent

func (q simQueue) Len() int                           { return len(q) }
func (q simQueue) Less(i, j int) bool                 { return q[i].at.Before(q[j].at) }
func (q simQueue) Swap(i, j int)                      { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)                        { *q = append(*q, x.(simEvent)) }
func (q *simQueue) Pop() any                          { e := (*q)[len(*q)-1]; *q = (*q)[:len(*q)-1]; return e }
func (q *simQueue) at(t time.Time, f func(time.Time)) { heap.Push(q, simEvent{at: t, step: f}) }

// simRun is what one simulated audit did.
type simRun struct {
	served, limited int
	took            time.Duration
}

// simulate reads reads requests' worth of scopes with workers workers
// through a learner (nil: no pacing but the shared 429 hold) against srv.
func simulate(srv *simServer, l *learner, workers, reads int, start time.Time) simRun {
	const maxPause = 5 * time.Second
	p := &pacer{learned: l}
	var q simQueue
	var until time.Time // the shared 429 hold
	left := reads
	var run simRun
	var end time.Time
	var attempt func(now time.Time)
	attempt = func(now time.Time) {
		if now.Before(until) {
			q.at(until, attempt)
			return
		}
		send := now
		if l != nil {
			d, _, due := p.turn(now)
			if !due {
				q.at(now.Add(d), attempt)
				return
			}
			send = now.Add(d)
		}
		q.at(send, func(sentAt time.Time) {
			if sentAt.Before(until) { // a 429 closed the gate while it waited for its turn
				attempt(sentAt)
				return
			}
			status, header := srv.take(sentAt.Add(srv.latency / 2))
			q.at(sentAt.Add(srv.latency), func(now time.Time) {
				hold := time.Duration(0)
				if status == http.StatusTooManyRequests {
					d, _ := parseRetryAfter(header.Get("Retry-After"), now)
					hold = min(d, maxPause)
					if now.Add(hold).After(until) {
						until = now.Add(hold)
					}
				}
				if l != nil {
					l.observe(sentAt, now, status, header, hold)
				}
				if status == http.StatusTooManyRequests {
					run.limited++
					q.at(now.Add(hold), attempt) // the retry waits its Retry-After, then its turn
					return
				}
				run.served++
				end = now
				if left > 0 {
					left--
					q.at(now, attempt)
				}
			})
		})
	}
	for range min(workers, reads) {
		left--
		q.at(start, attempt)
	}
	for q.Len() > 0 {
		e := heap.Pop(&q).(simEvent)
		e.step(e.at)
	}
	run.took = end.Sub(start)
	return run
}

func TestTheLearnedPaceReadsBehindBitbucketsBucketInLittleMoreThanTheLeastTime(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		burst, refill float64
		nodes, reads  int
		headers       bool
		maxRatio      float64 // time over the least the bucket allows
		max429Share   float64
	}{
		{60, 5, 1, 230, false, 1.10, 0.05},
		{60, 5, 1, 1000, false, 1.05, 0.02},
		{30, 2, 1, 230, false, 1.10, 0.05},
		{60, 5, 2, 460, false, 1.10, 0.05},
		{60, 5, 1, 230, true, 1.05, 0.05},
		// A refill so fast that a whole-second Retry-After overfills the
		// bucket: every hold wastes refill, and the served rate shows less
		// than the server sustains (the hard case: 1.6x here, 2x with the hold alone).
		{100, 200, 1, 3050, false, 1.70, 0.05},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("%g:%g/nodes=%d/reads=%d/headers=%t", tc.burst, tc.refill, tc.nodes, tc.reads, tc.headers)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newSimServer(tc.burst, tc.refill, tc.nodes, start)
			srv.headers = tc.headers
			run := simulate(srv, &learner{}, 8, tc.reads, start)
			n := float64(tc.nodes)
			least := time.Duration((float64(run.served) - n*tc.burst) / (n * tc.refill) * float64(time.Second))
			ratio := float64(run.took) / float64(least)
			share := float64(run.limited) / float64(run.served+run.limited)
			t.Logf("%s: %d served, %d answered 429 (%.1f%%), %s, least %s: %.3fx", name, run.served, run.limited, 100*share, run.took.Round(time.Millisecond), least.Round(time.Millisecond), ratio)
			require.Equal(t, tc.reads, run.served)
			assert.LessOrEqual(t, ratio, tc.maxRatio)
			assert.LessOrEqual(t, share, tc.max429Share)
		})
	}
}

// Without the learner, the shared hold alone: the audit runs in bursts of
// the bucket's refill over a Retry-After, and meets a 429 per worker per
// hold. This is the behaviour the learner improves on (and the same model
// the test above holds it to).
func TestWithoutTheLearnerEveryHoldCostsAWorkersWorthOf429s(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	run := simulate(newSimServer(60, 5, 1, start), nil, 8, 230, start)
	share := float64(run.limited) / float64(run.served+run.limited)
	t.Logf("gate only: %d served, %d answered 429 (%.0f%%), %s", run.served, run.limited, 100*share, run.took.Round(time.Millisecond))
	assert.Greater(t, share, 0.3)
}

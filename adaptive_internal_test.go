package accesstokens

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand"
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
// way the Client does (the hold of every worker, then the pace). Answers take
// 0.3 to 1.5 ms, drawn from a seeded source, so that the workers fall out of
// step as they do against a real server: when the bucket first runs dry,
// most of them have a request in flight, and each of those meets a 429.
// Time is simulated, so these tests are exact and quick; bench/pacing.sh
// measures the real thing, the command against the fake.

// simBucket is one node's bucket for the one user.
type simBucket struct {
	tokens float64
	at     time.Time
}

type simServer struct {
	burst, refill float64
	nodes         []simBucket
	next          int
	headers       bool          // send X-RateLimit-* headers
	slowBy        time.Duration // every answer this much later
	rng           *rand.Rand
}

func newSimServer(burst, refill float64, nodes int, start time.Time, seed int64) *simServer {
	s := &simServer{burst: burst, refill: refill, rng: rand.New(rand.NewSource(seed))}
	for range nodes {
		s.nodes = append(s.nodes, simBucket{tokens: burst, at: start})
	}
	return s
}

// latency is how long the next answer takes, from sending to reading it:
// 0.3 to 1.5 ms, and slowBy.
func (s *simServer) latency() time.Duration {
	const fastest, slowest = 300 * time.Microsecond, 1500 * time.Microsecond
	return s.slowBy + fastest + time.Duration(s.rng.Int63n(int64(slowest-fastest)))
}

// answer answers one request at now: its status and header.
func (s *simServer) answer(now time.Time) (int, http.Header) {
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
// through a learner (nil: no pacing but the shared 429 hold) against srv. A
// worker sends its next request a twentieth of an answer's time after the
// last answer (its own work), and the workers start a tenth of a
// millisecond apart.
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
			latency := srv.latency()
			status, header := srv.answer(sentAt.Add(latency / 2))
			q.at(sentAt.Add(latency), func(now time.Time) {
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
					q.at(now.Add(srv.latency()/20), attempt)
				}
			})
		})
	}
	for i := range min(workers, reads) {
		left--
		q.at(start.Add(time.Duration(i)*100*time.Microsecond), attempt)
	}
	for q.Len() > 0 {
		e := heap.Pop(&q).(simEvent)
		e.step(e.at)
	}
	run.took = end.Sub(start)
	return run
}

// simSeeds is how many seeds each simulated case runs with: the answers'
// times differ, and so do the workers' places when the bucket runs dry.
const simSeeds = 5

// simulatedAudit simulates 8 workers reading reads requests' worth of scopes
// behind srv's buckets with a fresh learner, and returns the time taken over
// the least the buckets allow and the share of requests answered 429.
func simulatedAudit(t *testing.T, srv *simServer, reads int) (ratio, share float64) {
	t.Helper()
	start := srv.nodes[0].at
	run := simulate(srv, &learner{}, 8, reads, start)
	require.Equal(t, reads, run.served)
	n := float64(len(srv.nodes))
	least := time.Duration((float64(run.served) - n*srv.burst) / (n * srv.refill) * float64(time.Second))
	ratio = float64(run.took) / float64(least)
	share = float64(run.limited) / float64(run.served+run.limited)
	t.Logf("%d served, %d answered 429 (%.1f%%), %s, least %s: %.3fx", run.served, run.limited, 100*share, run.took.Round(time.Millisecond), least.Round(time.Millisecond), ratio)
	return ratio, share
}

var simStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestTheLearnedPaceReadsBehindBitbucketsBucketInLittleMoreThanTheLeastTime(t *testing.T) {
	t.Parallel()
	cases := []struct {
		burst, refill float64
		nodes, reads  int
		headers       bool
		slowBy        time.Duration // every answer this much later
		maxRatio      float64       // time over the least the bucket allows
		max429Share   float64
	}{
		{60, 5, 1, 230, false, 0, 1.05, 0.05},
		{60, 5, 1, 1000, false, 0, 1.03, 0.025},
		{30, 2, 1, 230, false, 0, 1.05, 0.05},
		// A cluster doubles the burst and the refill: the same audit takes a
		// third of the time, of which learning the rate is a larger part.
		{60, 5, 2, 230, false, 0, 1.09, 0.05},
		{60, 5, 1, 230, true, 0, 1.02, 0.05},
		// X-RateLimit headers speak for the node that answered: a cluster
		// sustains more than any one node's fill rate says.
		{60, 5, 2, 230, true, 0, 1.09, 0.05},
		{100, 200, 1, 3050, true, 0, 1.10, 0.02},
		// A server that answers slowly: when the bucket first runs dry every
		// worker has a request in flight, and the probe must not add many.
		{60, 5, 1, 230, false, 100 * time.Millisecond, 1.05, 0.03},
		// A refill so fast that a whole-second Retry-After overfills the
		// bucket: every hold wastes refill, and the served rate shows less
		// than the server sustains (the hard case: 1.3x here, 2x with the
		// hold alone).
		{100, 200, 1, 3050, false, 0, 1.40, 0.02},
	}
	for _, tc := range cases {
		for seed := range int64(simSeeds) {
			name := fmt.Sprintf("%g:%g/nodes=%d/reads=%d/headers=%t/slowBy=%s/seed=%d", tc.burst, tc.refill, tc.nodes, tc.reads, tc.headers, tc.slowBy, seed)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				srv := newSimServer(tc.burst, tc.refill, tc.nodes, simStart, seed)
				srv.headers, srv.slowBy = tc.headers, tc.slowBy
				ratio, share := simulatedAudit(t, srv, tc.reads)
				assert.LessOrEqual(t, ratio, tc.maxRatio)
				assert.LessOrEqual(t, share, tc.max429Share)
			})
		}
	}
}

// The pace creeps up by requests served, not by seconds: once the rate is
// learned, about one request in a hundred meets a 429, behind a bucket
// refilled at 2 a second as behind one refilled at 50.
func TestOnceLearnedAboutOneRequestInAHundredMeetsA429AtEveryRate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		burst, refill float64
		reads         int
	}{
		{30, 2, 2000},
		{60, 5, 2000},
		{100, 50, 20000},
	}
	for _, tc := range cases {
		for seed := range int64(simSeeds) {
			t.Run(fmt.Sprintf("%g:%g/reads=%d/seed=%d", tc.burst, tc.refill, tc.reads, seed), func(t *testing.T) {
				t.Parallel()
				ratio, share := simulatedAudit(t, newSimServer(tc.burst, tc.refill, 1, simStart, seed), tc.reads)
				assert.LessOrEqual(t, share, 0.016)
				assert.LessOrEqual(t, ratio, 1.01)
			})
		}
	}
}

// Without the learner, the shared hold alone: the audit runs in bursts of
// the bucket's refill over a Retry-After, and meets a 429 per worker per
// hold. This is the behaviour the learner improves on (and the same model
// the tests above hold it to).
func TestWithoutTheLearnerEveryHoldCostsAWorkersWorthOf429s(t *testing.T) {
	t.Parallel()
	run := simulate(newSimServer(60, 5, 1, simStart, 1), nil, 8, 230, simStart)
	share := float64(run.limited) / float64(run.served+run.limited)
	t.Logf("gate only: %d served, %d answered 429 (%.0f%%), %s", run.served, run.limited, 100*share, run.took.Round(time.Millisecond))
	assert.Greater(t, share, 0.3)
}

// learnerAfter is a learner that saw before answers, then a first 429 at
// at, then served answers to requests sent after it, and a second 429 at
// at+window; both 429s hold every request for a second.
func learnerAfter(before, served int, at time.Time, window time.Duration) *learner {
	l := &learner{}
	for range before {
		l.observe(at.Add(-time.Second), at.Add(-time.Millisecond), http.StatusOK, nil, 0)
	}
	l.observe(at, at, http.StatusTooManyRequests, nil, time.Second)
	for i := range served {
		sent := at.Add(time.Duration(i+1) * window / time.Duration(served+2))
		l.observe(sent, sent.Add(time.Millisecond), http.StatusOK, nil, 0)
	}
	second := at.Add(window)
	l.observe(second, second, http.StatusTooManyRequests, nil, time.Second)
	return l
}

// turnsAtOnce counts the turns the learned pace grants at now without a wait.
func turnsAtOnce(l *learner, now time.Time) int {
	n := 0
	for ; n < 1000 && l.tryTurn(now) == 0; n++ {
	}
	return n
}

// While every request was held, the server's bucket refilled: when the hold
// ends, that many requests leave at once instead of waiting for their turns
// (a short audit would otherwise end with them unspent).
func TestWhenAHoldEndsTheRequestsTheServerRefilledMeanwhileLeaveAtOnce(t *testing.T) {
	t.Parallel()
	at := simStart
	l := learnerAfter(60, 10, at, 2*time.Second) // 10.5 served in 2 s: 5.1 a second
	second := at.Add(2 * time.Second)
	l.tryTurn(second) // a worker's turn as the 429 came
	assert.Equal(t, 5, turnsAtOnce(l, second.Add(time.Second)), "the refill of the one-second hold")
}

// A bucket can be smaller than what one Retry-After refills (100 refilled
// at 200 a second): the requests that leave at once when a hold ends are
// at most half of those the server served before its first 429.
func TestTheRequestsLeavingAtOnceAfterAHoldAreAtMostHalfTheServersFirstBurst(t *testing.T) {
	t.Parallel()
	at := simStart
	l := learnerAfter(20, 400, at, 2*time.Second) // 196 a second, after a first burst of 20
	second := at.Add(2 * time.Second)
	l.tryTurn(second)
	assert.Equal(t, 10, turnsAtOnce(l, second.Add(time.Second)))
}

// The creep is the same share of the pace after the server served the same
// number of requests, whatever its rate.
func TestThePaceCreepsUpByRequestsServedNotBySeconds(t *testing.T) {
	t.Parallel()
	at := simStart
	slow := learnerAfter(60, 20, at, 10*time.Second)  // 2 a second
	fast := learnerAfter(60, 500, at, 10*time.Second) // 49 a second
	holdEnds := at.Add(11 * time.Second)
	rise := func(l *learner) float64 {
		hundredServed := time.Duration(100 / l.base * float64(time.Second))
		return l.pace(holdEnds.Add(hundredServed)) / l.pace(holdEnds)
	}
	assert.InDelta(t, 1.16, rise(slow), 0.001, "(100/250)² after 100 requests")
	assert.InDelta(t, rise(slow), rise(fast), 0.001)
}

// The first estimate comes from a short window, a second or two: it counts
// the half request the bucket holds on average at a 429, without which a
// bucket refilled at 2 a second, seen to serve 2 in 1.3 s, reads as 1.5.
func TestAShortWindowsEstimateIsNotBiasedLow(t *testing.T) {
	t.Parallel()
	at := simStart
	l := learnerAfter(30, 2, at, 1300*time.Millisecond)
	assert.InDelta(t, 2, l.pace(at.Add(2300*time.Millisecond)), 0.15)
}

// Until its second 429 the client does not know the server's rate: the probe
// reaches 200 a second within a second of the first hold, so that a fast
// refill is not left to overflow for long.
func TestTheProbeReachesAFastRefillWithinASecondOfTheFirstHold(t *testing.T) {
	t.Parallel()
	l := &learner{}
	l.observe(simStart, simStart, http.StatusTooManyRequests, nil, time.Second)
	holdEnds := simStart.Add(time.Second)
	assert.InDelta(t, 4, l.pace(holdEnds), 0.001, "four requests per Retry-After")
	assert.Greater(t, l.pace(holdEnds.Add(time.Second)), 200.0)
}

// On a server that answers slowly the probe doubles only as fast as four
// answers come: every request in flight when its pace passes the limit
// meets a 429.
func TestOnASlowServerTheProbeDoublesOnlyAsFastAsItsAnswersCome(t *testing.T) {
	t.Parallel()
	l := &learner{}
	sent := simStart.Add(-200 * time.Millisecond) // answered 200 ms after it was sent
	l.observe(sent, simStart, http.StatusTooManyRequests, nil, time.Second)
	holdEnds := simStart.Add(time.Second)
	assert.InDelta(t, 8, l.pace(holdEnds.Add(800*time.Millisecond)), 0.001, "doubled once in four answers' time")
}

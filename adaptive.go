package accesstokens

// Adaptive pacing (WithAdaptiveRateLimit): a pace learned from the server's
// answers. Bitbucket limits each user with a token bucket (60 requests,
// refilled at 5 a second, by default) and answers 429 with a Retry-After of
// whole seconds once it is empty. A 429 says the bucket is empty at that
// moment; the answers served between two 429s are what the bucket refilled
// in between. So the learner counts, from the first 429 on, the answers to
// requests sent since, and at each later 429 takes their rate since the
// first as the rate the server sustains (a 429 to a request sent before the
// latest one is part of it, and teaches nothing; the bucket held less than
// a request at either 429, half a request on average at the later one).
//
// The pace starts just below that estimate and creeps up, slowly at first
// and faster the longer no 429 comes, in case the estimate was low or the
// limit was raised. It creeps by requests, not seconds: by the same share
// after the server has served the same number of requests, whatever its
// rate, so that once the rate is learned a slow bucket meets no more 429s
// per request than a fast one (about one in a hundred at 2 or 5 requests a
// second, fewer at 50, in the simulation). While every request was held,
// the server refilled its bucket: when the hold ends, that many requests
// may leave at once, but never more than half of what the server served
// before its first 429 (a bucket can be smaller than what one Retry-After
// refills).
//
// Until the second 429 there is no estimate: the pace starts at four
// requests per Retry-After and doubles every eighth of a second, or every
// four answers' time on a server that answers slowly, so that it finds the
// limit soon and with few 429s. A server that sends
// X-RateLimit-FillRate (with -Interval-Seconds and -Limit) gives the least
// the pace is: the probe starts there, and no estimate falls below it. The
// pace is still learned above it, because the headers speak for the node
// that answered, and a cluster of nodes, each with its own bucket,
// sustains more. Once the answers confirm the headers' rate (the server is
// one node, or every node says its own share), the pace stays at it,
// without creeping: on a fast refill each 429 costs a whole-second hold.
//
// Against a simulated Bitbucket (adaptive_internal_test.go) and the fake
// (BENCHMARKS.md, "Pacing that learns the server") this reads within a few
// percent of the least time the bucket allows, with a few 429s at the start.
// The hard case is a refill so fast that a whole-second Retry-After refills
// the bucket more than full (100 refilled at 200 a second): every hold then
// wastes refill, and the served rate shows less than the server sustains.
//
// AWS SDK for Go's adaptive retry mode is the known pattern (a client-side
// token bucket, on only after a throttle); it grows back along a cubic curve
// from 70% of the rate it last saw throttled, which suits a server whose
// limit is a rate, not a bucket. Nothing here runs before the first 429 but
// an atomic load per request and an atomic count per answer.

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

const (
	// probeStart is the pace, in requests per Retry-After, from which the
	// probe doubles.
	probeStart = 4
	// probeDoubling is how fast the pace rises before the server's rate is
	// known: it doubles every probeDoubling, or every probeRoundTrips
	// answers' time if that is longer. Every request in flight when the pace
	// passes the server's limit meets a 429, and on a server that answers
	// slowly a pace that doubles faster than its answers come has many in
	// flight.
	probeDoubling   = 125 * time.Millisecond
	probeRoundTrips = 4
	// steadyShare is the share of the estimated rate the pace starts from
	// after each 429: just below it, so that the estimate's own error does
	// not bring the next 429 at once.
	steadyShare = 0.98
	// leftInBucket is what the server's bucket holds on average at a 429
	// after the first, in requests: less than one (the bucket was empty at
	// the first, which came as the workers' burst ran it dry).
	leftInBucket = 0.5
	// creepRequests is how fast the pace creeps up between 429s, in
	// requests served at the estimated rate: by (n/creepRequests)² of
	// itself after n (4% after 50, 16% after 100, double after 250). At 5
	// requests a second, creepRequests take 50 s.
	creepRequests = 250
	// minCreepScale and maxCreepScale bound the time creepRequests take: a
	// server that serves 2,000 a second creeps no faster than one that
	// serves 500, and one that serves a request a minute no slower than one
	// that serves one in 1.2 s.
	minCreepScale = 500 * time.Millisecond
	maxCreepScale = 5 * time.Minute
	// headerMargin is how close to the X-RateLimit headers' rate an
	// estimate must come to confirm it: within the estimate's own error.
	headerMargin = 1.1
	// maxLearnedRate caps the pace, so that doubling cannot overflow.
	maxLearnedRate = 1e6
)

// learner is WithAdaptiveRateLimit's state, shared by every goroutine of a
// Client. Its methods take the time, so that a test can drive it.
type learner struct {
	engaged    atomic.Bool  // a 429 came: from then on every request is paced
	firstBurst atomic.Int64 // answers before the first 429: the server's bucket held at least that many

	mu      sync.Mutex
	limiter *rate.Limiter // the learned pace; nil until the first 429
	since   time.Time     // the first 429: the server's bucket was empty then
	served  int           // answers other than 429 to requests sent since then
	event   time.Time     // the latest 429 event began: a 429 to a request sent before is part of it
	probing bool          // no estimate yet: the pace doubles every probeDoubling
	floor   float64       // the rate the server's X-RateLimit headers give; 0: none
	exact   bool          // the answers confirmed floor as the rate: no creeping
	base    float64       // the pace (requests a second) set at baseAt
	baseAt  time.Time     // when base was set, or when the hold that followed it ends
	creep   float64       // seconds the server takes to serve creepRequests at base (see pace)
	lag     time.Duration // how long the latest answer took, from sending
}

// observe learns from the answer to a request sent at sentAt, answered now
// with status; hold is how long a 429 holds every request (its Retry-After,
// capped).
func (l *learner) observe(sentAt, now time.Time, status int, header http.Header, hold time.Duration) {
	limited := status == http.StatusTooManyRequests
	if !limited && !l.engaged.Load() {
		l.firstBurst.Add(1)
		return // nothing else until the first 429
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limiter == nil { // the first 429
		l.since, l.event, l.probing = now, now, true
		l.base, l.baseAt = probeStart/max(hold.Seconds(), 1), now.Add(hold)
		l.limiter = rate.NewLimiter(rate.Limit(l.base), 1)
		l.engaged.Store(true)
	}
	l.lag = now.Sub(sentAt)
	l.readHeaders(now, header)
	switch {
	case !limited:
		if !sentAt.Before(l.since) {
			l.served++
		}
	case sentAt.Before(l.event):
		// Sent before this 429 event began: it says nothing new.
	default:
		l.event = now
		l.estimate(now, hold)
	}
}

// estimate sets the pace at a 429 that was not part of an earlier one: the
// server's bucket is empty again, so what it served since the first 429 is
// what it refilled, and that rate is what it sustains.
func (l *learner) estimate(now time.Time, hold time.Duration) {
	window := now.Sub(l.since).Seconds()
	if window <= 0 {
		return
	}
	est := max(steadyShare*(float64(l.served)+leftInBucket)/window, 1/max(hold.Seconds(), 1))
	l.exact = l.floor > 0 && est <= l.floor*headerMargin
	l.setBase(max(est, l.floor), now.Add(hold))
	// What the server refills during the hold may leave when it ends.
	refilled := min(est*hold.Seconds(), float64(l.firstBurst.Load())/2)
	l.limiter.SetBurstAt(now, max(1, int(refilled)))
}

// setBase sets the pace the creep starts from at baseAt, and ends the probe.
func (l *learner) setBase(pace float64, baseAt time.Time) {
	l.probing = false
	l.base, l.baseAt = pace, baseAt
	l.creep = min(max(creepRequests/pace, minCreepScale.Seconds()), maxCreepScale.Seconds())
}

// readHeaders reads, once, the rate the server says it refills at,
// X-RateLimit-FillRate requests every X-RateLimit-Interval-Seconds, in a
// bucket of X-RateLimit-Limit: the least the pace is from then on.
func (l *learner) readHeaders(now time.Time, h http.Header) {
	fill, err1 := strconv.ParseFloat(h.Get("X-RateLimit-FillRate"), 64)
	if err1 != nil || !(fill > 0) {
		return
	}
	interval := 1.0
	if v := h.Get("X-RateLimit-Interval-Seconds"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
			interval = s
		}
	}
	if l.floor > 0 {
		return
	}
	l.floor = min(fill/interval, maxLearnedRate)
	if size, err := strconv.Atoi(h.Get("X-RateLimit-Limit")); err == nil && size > 0 {
		l.limiter.SetBurstAt(now, size)
	}
}

// pace is the rate requests are released at now.
func (l *learner) pace(now time.Time) float64 {
	t := max(0, now.Sub(l.baseAt).Seconds())
	switch {
	case l.exact:
		return l.base
	case l.probing:
		doubling := max(probeDoubling, probeRoundTrips*l.lag)
		return min(max(l.base*math.Exp2(t/doubling.Seconds()), l.floor), maxLearnedRate)
	}
	x := t / l.creep
	return min(l.base*(1+x*x), maxLearnedRate)
}

// tryTurn takes a request's turn at now and returns 0 when one is due, or
// returns how long until one is (at most turnHorizon, after which the pace
// may have risen) without taking it. Before the first 429 every turn is due.
func (l *learner) tryTurn(now time.Time) time.Duration {
	if !l.engaged.Load() {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	pace := l.pace(now)
	l.limiter.SetLimitAt(now, rate.Limit(pace))
	if l.limiter.AllowN(now, 1) {
		return 0
	}
	due := time.Duration((1 - l.limiter.TokensAt(now)) / pace * float64(time.Second))
	return min(max(due, time.Millisecond), turnHorizon)
}

// turnHorizon is the longest a request waits for a turn of the learned pace
// before it asks again: the pace may have risen meanwhile.
const turnHorizon = 250 * time.Millisecond

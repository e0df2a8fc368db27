package audit

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClassifyBoundaries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		scope       accesstokens.Scope
		edit        func(*accesstokens.AccessToken)
		ownerActive bool
		want        []Finding
		daysLeft    *int
	}{
		{"nothing to say", userSc, func(*accesstokens.AccessToken) {}, true, []Finding{}, intp(100)},
		{"expires in exactly the threshold: expiring", userSc, func(a *accesstokens.AccessToken) { a.ExpiryDate = at(30 * day) }, true, []Finding{Expiring}, intp(30)},
		{"a second past the threshold: not expiring", userSc, func(a *accesstokens.AccessToken) { a.ExpiryDate = at(30*day + time.Second) }, true, []Finding{}, intp(30)},
		{"expires in an hour: expiring, 0 days left", userSc, func(a *accesstokens.AccessToken) { a.ExpiryDate = at(time.Hour) }, true, []Finding{Expiring}, intp(0)},
		{"expires now: expired, -1 day left", userSc, func(a *accesstokens.AccessToken) { a.ExpiryDate = at(0) }, true, []Finding{Expired}, intp(-1)},
		{"expires in a nanosecond: expiring, 0 days left", userSc, func(a *accesstokens.AccessToken) { a.ExpiryDate = at(1) }, true, []Finding{Expiring}, intp(0)},
		{"expired an hour ago: -1 day left", userSc, func(a *accesstokens.AccessToken) { a.ExpiryDate = at(-time.Hour) }, true, []Finding{Expired}, intp(-1)},
		{"expired exactly a day ago: -1", userSc, func(a *accesstokens.AccessToken) { a.ExpiryDate = at(-day) }, true, []Finding{Expired}, intp(-1)},
		{"expired yesterday, a day and a second ago: -1", userSc, func(a *accesstokens.AccessToken) { a.ExpiryDate = at(-day - time.Second) }, true, []Finding{Expired}, intp(-1)},
		{"expired the day before yesterday: -2", userSc, func(a *accesstokens.AccessToken) { a.ExpiryDate = at(-day - 13*time.Hour) }, true, []Finding{Expired}, intp(-2)},
		{"never expires: no-expiry, no days left", userSc, func(a *accesstokens.AccessToken) { a.ExpiryDate = nil }, true, []Finding{NoExpiry}, nil},
		{"never used: never-used, not unused", userSc, func(a *accesstokens.AccessToken) { a.LastAuthenticated = nil; a.CreatedDate = now.Add(-400 * day) }, true, []Finding{NeverUsed}, intp(100)},
		{"used exactly the threshold ago: not unused", userSc, func(a *accesstokens.AccessToken) { a.LastAuthenticated = at(-90 * day) }, true, []Finding{}, intp(100)},
		{"used a second before the threshold: unused", userSc, func(a *accesstokens.AccessToken) { a.LastAuthenticated = at(-90*day - time.Second) }, true, []Finding{Unused}, intp(100)},
		{"PROJECT_ADMIN: admin", projectSc, func(a *accesstokens.AccessToken) {
			a.Permissions = []accesstokens.Permission{accesstokens.ProjectAdmin, accesstokens.RepoAdmin}
		}, true, []Finding{Admin}, intp(100)},
		{"REPO_ADMIN: admin", repoSc, func(a *accesstokens.AccessToken) { a.Permissions = []accesstokens.Permission{accesstokens.RepoAdmin} }, true, []Finding{Admin}, intp(100)},
		{"PROJECT_WRITE, REPO_WRITE: not admin", projectSc, func(a *accesstokens.AccessToken) {
			a.Permissions = []accesstokens.Permission{accesstokens.ProjectWrite, accesstokens.RepoWrite}
		}, true, []Finding{}, intp(100)},
		{"no permissions at all: not admin", projectSc, func(a *accesstokens.AccessToken) { a.Permissions = nil }, true, []Finding{}, intp(100)},
		{"personal token of a deactivated user: inactive-owner", userSc, func(*accesstokens.AccessToken) {}, false, []Finding{InactiveOwner}, intp(100)},
		{"project token, owner flag false: no inactive-owner", projectSc, func(*accesstokens.AccessToken) {}, false, []Finding{}, intp(100)},
		{"repository token, owner flag false: no inactive-owner", repoSc, func(*accesstokens.AccessToken) {}, false, []Finding{}, intp(100)},
		{"everything at once, in contract order", userSc, func(a *accesstokens.AccessToken) {
			a.ExpiryDate = nil
			a.LastAuthenticated = at(-365 * day)
			a.Permissions = []accesstokens.Permission{accesstokens.RepoAdmin}
		}, false, []Finding{NoExpiry, Unused, Admin, InactiveOwner}, nil},
		{"expired, never used, admin, inactive owner", userSc, func(a *accesstokens.AccessToken) {
			a.ExpiryDate = at(-3 * day)
			a.LastAuthenticated = nil
			a.Permissions = []accesstokens.Permission{accesstokens.ProjectAdmin}
		}, false, []Finding{Expired, NeverUsed, Admin, InactiveOwner}, intp(-3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok := plain()
			tc.edit(&tok)
			got := Classify(tc.scope, tok, tc.ownerActive, rules)
			assert.Equal(t, tc.want, got.Findings)
			assert.Equal(t, tc.daysLeft, got.DaysLeft)
			assert.Equal(t, tc.scope, got.Scope)
			assert.Equal(t, tok, got.AccessToken, "the token is carried as read")
		})
	}
}

// TestClassifyInvalidFlagsBadDateAndNothingFromTheMissingDate: a token whose
// date the server sent cannot be read (decoded as the SDK decodes a page) is
// judged as far as it was read: bad-date, and no finding that would come
// from the date being absent (no-expiry for an unreadable expiry,
// never-used for an unreadable last use).
func TestClassifyInvalidFlagsBadDateAndNothingFromTheMissingDate(t *testing.T) {
	t.Parallel()
	ms := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
	created, past, future := ms(-10*day), ms(-3*day), ms(100*day)
	for _, tc := range []struct {
		name     string
		dates    string // the token's date fields, in Bitbucket's JSON
		want     []Finding
		unread   []string
		daysLeft *int
	}{
		{"expiry past the year 9999, never used", `"expiryDate":1e30,"lastAuthenticated":null`,
			[]Finding{NeverUsed, BadDate}, []string{"expiryDate"}, nil},
		{"expiry and last use unreadable", `"expiryDate":1e30,"lastAuthenticated":"not a date"`,
			[]Finding{BadDate}, []string{"expiryDate", "lastAuthenticated"}, nil},
		{"last use unreadable, expiry absent: it never expires", `"lastAuthenticated":1e30`,
			[]Finding{NoExpiry, BadDate}, []string{"lastAuthenticated"}, nil},
		{"creation unreadable, expired three days ago", `"createdDate":1e30,"expiryDate":` + past,
			[]Finding{Expired, NeverUsed, BadDate}, []string{"createdDate"}, intp(-3)},
		{"created and expiry unreadable, last use absent: unknown too", `"createdDate":-1e30,"expiryDate":1e30`,
			[]Finding{BadDate}, []string{"createdDate", "expiryDate", "lastAuthenticated"}, nil},
		{"every date readable", `"expiryDate":` + future, []Finding{NeverUsed}, nil, intp(100)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var tok accesstokens.AccessToken
			body := `{"id":"1405","name":"ci",` + tc.dates + `,"permissions":["REPO_READ"]}`
			if !strings.Contains(tc.dates, "createdDate") {
				body = strings.Replace(body, `"name":"ci",`, `"name":"ci","createdDate":`+created+`,`, 1)
			}
			err := json.Unmarshal([]byte(body), &tok)
			var got Token
			var inv *accesstokens.InvalidTokenError
			if errors.As(err, &inv) {
				got = ClassifyInvalid(projectSc, inv, true, rules)
			} else {
				require.NoError(t, err)
				got = Classify(projectSc, tok, true, rules)
			}
			assert.Equal(t, tc.want, got.Findings)
			assert.Equal(t, tc.unread, got.UnreadDates)
			assert.Equal(t, tc.daysLeft, got.DaysLeft)
			assert.Equal(t, "1405", got.ID, "the token as far as it was read")
			assert.Equal(t, "ci", got.Name)
		})
	}
}

func TestClassifyDefaults(t *testing.T) {
	t.Parallel()
	tok := plain()
	tok.ExpiryDate = at(29 * day)
	tok.LastAuthenticated = at(-91 * day)
	got := Classify(repoSc, tok, true, Rules{Now: now})
	assert.Equal(t, []Finding{Expiring, Unused}, got.Findings, "defaults: 30 days expiring, 90 days unused")

	tok.ExpiryDate = at(31 * day)
	tok.LastAuthenticated = at(-89 * day)
	assert.Empty(t, Classify(repoSc, tok, true, Rules{Now: now}).Findings)

	// A zero Now is the clock: a token that expired in 2001 is expired today.
	tok.ExpiryDate = &time.Time{}
	*tok.ExpiryDate = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.True(t, Classify(repoSc, tok, true, Rules{}).Has(Expired))
}

func TestClassifiedFindingsAreSafeToAppendTo(t *testing.T) {
	t.Parallel()
	tok := plain()
	tok.ExpiryDate = nil
	a := Classify(repoSc, tok, true, rules)
	b := Classify(repoSc, tok, true, rules)
	_ = append(a.Findings, Admin)
	assert.Equal(t, []Finding{NoExpiry}, b.Findings, "an append to one token's findings does not show in another's")
}

func TestOwner(t *testing.T) {
	t.Parallel()
	tok := Token{AccessToken: plain()}
	assert.Equal(t, "alice", tok.Owner())
	tok.User = nil
	assert.Equal(t, "", tok.Owner())
}

// TestDaysLeftCountsCalendarDaysInUTC: days left are read as people read a
// calendar, from today's date to the expiry date (UTC), so a 30-day token
// shows 30 all through the day it was created, not 29 once a second has
// passed; an expired token always shows a negative count.
func TestDaysLeftCountsCalendarDaysInUTC(t *testing.T) {
	t.Parallel()
	noon := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	morning := time.Date(2026, 3, 1, 0, 0, 1, 0, time.UTC)
	evening := time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC)
	cet, cest := time.FixedZone("CET", 3600), time.FixedZone("CEST", 2*3600)
	for _, tc := range []struct {
		name        string
		expiry, now time.Time
		want        int
	}{
		{"a 30-day token just created", noon.AddDate(0, 0, 30), noon.Add(time.Second), 30},
		{"a 30-day token created in the first second of the day, seen at its end", morning.AddDate(0, 0, 30), evening, 30},
		{"a 30-day token created in the last minute of the day, seen then", evening.AddDate(0, 0, 30), evening, 30},
		{"expires later today", evening, morning, 0},
		{"expires tomorrow, a minute from now", time.Date(2026, 3, 2, 0, 0, 30, 0, time.UTC), evening, 1},
		{"expired earlier today", morning, evening, -1},
		{"expires this instant", noon, noon, -1},
		{"expired yesterday", noon.AddDate(0, 0, -1), noon, -1},
		{"expired yesterday, a minute ago", time.Date(2026, 2, 28, 23, 59, 30, 0, time.UTC), morning, -1},
		{"expired a week ago", noon.AddDate(0, 0, -7), noon, -7},
		// Europe's clocks go forward on 2026-03-29: the count is of UTC dates,
		// whatever zone either time is written in.
		{"across a daylight-saving change, zones differing", time.Date(2026, 3, 30, 0, 30, 0, 0, cest), time.Date(2026, 3, 28, 23, 30, 0, 0, cet), 1},
		{"the same instants in UTC", time.Date(2026, 3, 29, 22, 30, 0, 0, time.UTC), time.Date(2026, 3, 28, 22, 30, 0, 0, time.UTC), 1},
	} {
		assert.Equal(t, tc.want, DaysLeft(tc.expiry, tc.now), tc.name)
		tok := plain()
		tok.ExpiryDate = &tc.expiry
		got := Classify(userSc, tok, true, Rules{Now: tc.now})
		assert.Equal(t, tc.want, *got.DaysLeft, "Classify: %s", tc.name)
		assert.Equal(t, tc.want < 0, got.Has(Expired), "negative exactly when expired: %s", tc.name)
	}
}

// Package accesstokenstest is an in-memory fake of Bitbucket Data Center for tests of code that
// manages personal, project and repository access tokens: the access-token REST API, and the core
// REST reads a server-wide inventory needs.
//
// One line starts a real HTTP server on loopback, seeded with a small demo world:
//
//	srv := accesstokenstest.NewServer()
//	defer srv.Close()
//	// point any client at srv.URL; the API lives under srv.URL + accesstokenstest.APIPath
//
// The fake serves the access-token API's 18 operations (15 on the three token scopes, 3 on the
// admin expiry policy) under both /rest/access-tokens/latest and /rest/access-tokens/1.0, and
// follows real servers' behaviour: create is PUT (200, the only answer that shows the secret),
// update is POST, delete is 204; errors are Bitbucket's {"errors":[...]} envelope with its exception
// names; permission failures are 401; dates are epoch milliseconds; token ids are strings of
// digits; secrets are "BBDC-" and the base64 of "<id>:" and 20 random bytes; project and
// repository tokens are owned by SERVICE bot users named access-token-user/1/<project id> and
// access-token-user/2/<repository id>; lists are paged newest first. HEAD answers like GET
// without the body.
//
// Every answer's Date header is the fake clock's time (see Clock), so a client can judge expiry
// by the server's time. Every answer to a request that authenticated names the user, as
// Bitbucket does, in X-AUSERNAME (a bot's name for a project or repository token) and X-AUSERID.
//
// Under /rest/api/latest (and /rest/api/1.0) it serves what a server-wide inventory walks:
// application-properties (no credentials needed), projects (normal projects the caller may
// read), repos (archived=ACTIVE by default, ARCHIVED or ALL; personal projects' repositories with
// a project of type PERSONAL and key ~SLUG; state, scmId, forkable, public and a description when
// there is one), projects/{key}/repos, admin/users (system administrators only, deactivated users
// included with active false, lastAuthenticationTimestamp when known, directoryName) and users
// (active users). The bots that own project and repository tokens are listed as SERVICE users.
// It also serves the rate limit's settings to system administrators (see Rate limits). See
// [CoreAPIPath].
//
// # Versions
//
// By default the fake answers as Bitbucket [ServerVersion] does. [WithServerVersion] picks
// another: 9.x and later leave null fields out (a bot's emailAddress, an error's context) and
// mint token ids of 10 to 12 digits without a leading zero, where 8.x sends nulls and 12-digit ids
// that may start with zeros. What is not known per version is an option of its own:
// [WithUnprefixedSecrets] (secrets without "BBDC-") and [WithoutExpiryPolicyEndpoint] (/admin
// answers 404).
//
// # Worlds
//
// The demo world (skip it with [WithEmptyWorld]):
//
//	user   password  rights
//	admin  admin     system administrator
//	alice  alice     project admin of PRJ (so repository admin of PRJ/repo)
//	bob    bob       no project or repository rights
//
// Project PRJ ("Demo project") holds repository "repo". [WithWorld] seeds a generated world
// instead, deterministic for its [World] and seed, with tokens of every kind an audit looks for;
// [DemoWorld] is the small one the accesstokens command's --demo flag audits.
//
// # Clock
//
// The fake clock is the real time unless [WithClock] pins it; [Fake.Advance] and [Fake.SetNow]
// move either forward (never back). Token dates, expiry, lastAuthenticated and every answer's
// Date header follow it. No expiry may end after 9999-12-31, the last day JSON dates can show: a
// create asking for more is a 400 on expiryDays.
//
// # Authentication
//
// Basic authentication accepts a user's password, or one of that user's personal tokens as the
// password. Bearer authentication accepts any token the fake minted (personal, project or
// repository). Expired tokens (by the fake clock), deleted tokens and deactivated users
// ([Fake.SetUserActive]) fail with 401. Every request the fake answers that a live token
// authenticates sets that token's lastAuthenticated date to the fake time, whatever the answer: a
// 404 or 405 route, a refusal (401 "not permitted") or a success alike. A request answered by an
// injected fault instead of the fake (see [Fault]) leaves it unchanged; one only delayed, or
// faulted AfterHandling, sets it.
//
// Rule for token-authenticated requests: a token can never create, update or delete tokens, nor
// call /admin, admin/users or the rate-limit settings. The only thing a token may do on the access-token API is read (list
// and get) the personal tokens of its own owner, and only a personal token can do that;
// everything else answers 401 with com.atlassian.bitbucket.AuthorisationException. On the core
// API a token reads what its owner (a user, or a project's or repository's bot) may read.
//
// # Rights
//
// Users manage their own personal tokens; system administrators may list, get, update and delete
// anyone's personal tokens but cannot create one for another user. Project tokens need project
// admin, repository tokens need repository admin (a project admin is repository admin of all the
// project's repositories; a user is project admin of their personal project), /admin needs a
// system administrator, and a system administrator may do everything else. The order of checks
// is: the path's form (400 for a bad escape or a "." or ".." segment, 414 for a path and query
// over [MaxRequestTarget]), rate limit (429, see [WithRateLimit]), route (404), authentication
// (401), method (405), content type (415), existence of the user, project or repository (404),
// rights (401), then the token id (404) and the request (400).
//
// # Requests and paging
//
// Create, update and PUT /admin bodies must be sent as application/json (anything else is 415, as
// with Jersey); field names are matched exactly; update changes only the fields present and ignores
// expiryDays; names hold at most [MaxNameLength] characters. Permissions, on create and update,
// hold at most one PROJECT_* and one REPO_* (a repository token no PROJECT_*), with the repository
// level at least the project level; anything else is 400 with context "permissions". Lists take
// start (default 0) and limit (default 25, capped at 1000; 0 means the default; a negative or
// non-integer value of either, or a query string that is not valid, is 400) and answer token
// lists newest first (by creation, whatever the ids), with nextPageStart only when isLastPage is
// false. [WithSparsePositions] makes token-list positions non-contiguous. A page costs
// O(limit), however many tokens the server holds (core lists: for a system administrator without
// filters; other callers' lists are filtered in O(n)).
//
// # Rate limits
//
// Off unless [WithRateLimit] turns it on, as on Bitbucket: each user then has a token bucket
// (Bitbucket's default is 60 requests, refilled 5 a second), and a request that finds it empty is
// answered 429 with Retry-After in whole seconds. [WithClusterNodes] makes a cluster whose nodes
// each keep their own bucket per user; [WithRateLimitHeaders] adds X-RateLimit-Limit,
// -Remaining, -Interval-Seconds and -FillRate to limited answers (whether Bitbucket sends them is
// not known). A system administrator, by password, can change the limit over HTTP as on
// Bitbucket: GET/PUT /rest/api/latest/admin/rate-limit/settings ({"enabled", "defaultSettings":
// {"capacity", "fillRate"}}) and GET/PUT/DELETE .../settings/users/{userSlug} ({"whitelisted":
// true}, or {"settings": {"capacity", "fillRate"}} of the user's own), which is how an admin lets
// an audit's account run unlimited.
//
// # Test hooks
//
// Beyond the wire, a [Fake] records requests without credentials ([Fake.Requests], the last
// [DefaultRequestHistory] by default; secrets and passwords in the path or query are blanked to
// [Redacted]), injects faults ([Fake.InjectFault]: status codes with Retry-After, HTML bodies,
// dropped connections, delays, failures after the state changed), moves the clock
// ([Fake.Advance]), seeds many tokens at once ([Fake.SeedTokens]), mints a token without HTTP
// ([Fake.MintToken], with scope strings from [UserScopeString], [ProjectScopeString] and
// [RepoScopeString]: the fake shares no type with the SDK), lists the secrets it handed out
// that it still remembers ([Fake.MintedSecrets]), so tests can check that secrets do not leak
// into logs or errors, and starts over ([Fake.Reset]). [WithControlAPI] offers the same over HTTP,
// for tests in any language; its writes must say Content-Type: application/json, so a web page
// cannot drive it, and what it keeps is bounded ([MaxControlBody], [MaxQueuedFaults]).
//
// Memory stays flat over any number of create and delete cycles, and no request's cost grows with
// the number of tokens ever minted: a secret is looked up, not searched for.
//
// All methods are safe for concurrent use.
package accesstokenstest

// Package accesstokenstest is an in-memory fake of the Bitbucket Data Center access-token REST API,
// for tests of code that manages personal, project and repository access tokens.
//
// One line starts a real HTTP server on loopback, seeded with a small demo world:
//
//	srv := accesstokenstest.NewServer()
//	defer srv.Close()
//	// point any client at srv.URL; the API lives under srv.URL + accesstokenstest.APIPath
//
// The fake serves all 16 endpoints under both /rest/access-tokens/latest and /rest/access-tokens/1.0
// and follows real servers' behaviour: create is PUT (200, the only answer that shows the secret),
// update is POST, delete is 204; errors are Bitbucket's {"errors":[...]} envelope with its exception
// names; permission failures are 401; dates are epoch milliseconds; token ids are 12-digit strings
// with leading zeros; project and repository tokens are owned by SERVICE bot users; lists are paged
// newest first.
//
// The demo world (skip it with [WithEmptyWorld]):
//
//	user   password  rights
//	admin  admin     system administrator
//	alice  alice     project admin of PRJ (so repository admin of PRJ/repo)
//	bob    bob       no project or repository rights
//
// Project PRJ ("Demo project") holds repository "repo".
//
// # Authentication
//
// Basic authentication accepts a user's password, or one of that user's personal tokens as the
// password. Bearer authentication accepts any token the fake minted (personal, project or
// repository). Expired tokens (by the fake clock, see [Fake.Advance]) and deleted tokens fail with 401.
// Every request the fake answers that a live token authenticates sets that token's
// lastAuthenticated date to the fake time, whatever the answer: a 404 or 405 route, a refusal
// (401 "not permitted") or a success alike. A request answered by an injected fault instead of
// the fake (see [Fault]) leaves it unchanged; one only delayed, or faulted AfterHandling, sets it.
//
// Rule for token-authenticated requests: a token can never create, update or delete tokens, nor
// call /admin. The only thing a token may do on this API is read (list and get) the personal tokens
// of its own owner, and only a personal token can do that; everything else answers 401 with
// com.atlassian.bitbucket.AuthorisationException.
//
// # Rights
//
// Users manage their own personal tokens; system administrators may list, get, update and delete
// anyone's personal tokens but cannot create one for another user. Project tokens need project
// admin, repository tokens need repository admin (a project admin is repository admin of all the
// project's repositories), /admin needs a system administrator, and a system administrator may do
// everything else. The order of checks is: route (404/405), authentication (401), content type (415),
// existence of the user, project or repository (404), rights (401), then the token id (404) and the
// request (400).
//
// # Requests and paging
//
// Create, update and PUT /admin bodies must be sent as application/json (anything else is 415, as
// with Jersey); field names are matched exactly; update changes only the fields present and ignores
// expiryDays. Permissions, on create and update, hold at most one PROJECT_* and one REPO_* (a
// repository token no PROJECT_*), with the repository level at least the project level; anything
// else is 400 with context "permissions". Lists take start (default 0) and limit (default 25, capped at 1000; 0 means the default;
// a negative or non-integer value of either is 400) and answer newest first (createdDate, then id,
// descending), with nextPageStart only when isLastPage is false. [WithSparsePositions] makes
// positions non-contiguous. A page costs O(limit), however many tokens the scope holds.
//
// # Test hooks
//
// Beyond the wire, a [Fake] records every request without credentials ([Fake.Requests]; secrets
// and passwords in the path or query are blanked to [Redacted]), injects
// faults ([Fake.InjectFault]: status codes with Retry-After, HTML bodies, dropped connections,
// delays, failures after the state changed), moves a fake clock ([Fake.Advance]), seeds many tokens
// at once ([Fake.SeedTokens]) and lists every secret it ever handed out ([Fake.MintedSecrets]), so
// tests can check that secrets do not leak into logs or errors.
//
// All methods are safe for concurrent use.
package accesstokenstest

// Package accesstokens is a typed client for the HTTP access-token REST API of
// Bitbucket Data Center (/rest/access-tokens/latest): personal, project and
// repository access tokens, and the server-wide expiry policy. On top of the
// endpoints it offers token lifecycle across a whole server: scopes as
// values, expiry helpers, safe rotation ([Rotate]), the projects,
// repositories and users to walk ([DirectoryService]), and pacing that
// learns a server's rate limit ([WithAdaptiveRateLimit], [WithRateLimit]).
//
// Atlassian's REST reference is at https://developer.atlassian.com/server/bitbucket/rest/
// (the "Access tokens" group). Real servers differ from that reference in a
// few places (create is a PUT that answers 200, dates are epoch milliseconds,
// permission failures are 401); this package follows the servers.
//
// # Creating a client
//
// A [Client] talks to one server. Build it once and share it: it is safe for
// concurrent use.
//
//	client, err := accesstokens.NewClient("https://bitbucket.example.com",
//		accesstokens.WithBasicAuth("alice", password))
//
// The base URL is an absolute http or https URL. It may carry a context path
// ("https://git.example.com/bitbucket") and may end in a slash; every request
// keeps the path. [NewClientFromEnv] reads the same settings from the
// environment: BITBUCKET_URL, and either BITBUCKET_TOKEN or
// BITBUCKET_USERNAME with BITBUCKET_PASSWORD (the token wins when both are
// set), BITBUCKET_CA_CERT (a PEM file of an internal certificate authority,
// for [WithRootCAs]) and BITBUCKET_INSECURE_HTTP=1 for [WithInsecureHTTP].
// Options passed to it apply after the environment, so they win. Programs
// that take the same variables read them with [ReadEnvironment], which also
// says which credential it chose.
//
// Two options authenticate:
//
//   - [WithBasicAuth] sends a username with a password or a personal token.
//     Creating, changing and revoking tokens needs the password: Bitbucket
//     does not let a token manage tokens.
//   - [WithToken] sends "Authorization: Bearer <token>". Project and
//     repository tokens authenticate only this way.
//
// Credentials never travel over plain http to another machine: NewClient
// refuses an http URL whose host is not loopback unless [WithInsecureHTTP] is
// given, and a redirect to another host or scheme drops the Authorization
// header. Plain http to 127.0.0.1 or localhost is allowed, which is what tests
// against a local fake need.
//
// [WithHTTPClient] brings your own transport, TLS settings, proxy and timeout;
// [WithUserAgent] and [WithAPIVersion] ("latest" or "1.0") adjust the rest.
//
// # Creating tokens and the Secret type
//
// Each token scope has its own service on the Client:
// Client.UserTokens ([UserTokensService]), Client.ProjectTokens
// ([ProjectTokensService]) and Client.RepoTokens ([RepoTokensService]).
// They have the same methods and differ only in which user, project or
// repository they address.
//
//	tok, err := client.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{
//		Name:        "ci",
//		Permissions: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite},
//		ExpiryDays:  90, // 0: never expires, unless the admin policy requires an expiry
//	})
//
// A token holds at most one PROJECT_* and at most one REPO_* [Permission], its
// repository level is never below its project level, and a repository token
// holds no PROJECT_* permission at all.
//
// The create answer, a [RawAccessToken], is the only time the server ever
// shows the token's value. It is a [Secret]: printing it with any fmt verb,
// logging it with log/slog or encoding it as JSON or text yields
// "[REDACTED]", so it cannot leak by accident. [Secret.Reveal] returns the
// value; call it only where the value must go, such as a secrets store.
//
// # Listing and paging
//
// List returns one [Page]. [ListOptions] chooses where it starts and how
// many tokens it holds (Limit 0 means the server's default of 25; the server
// caps large limits and reports the applied value in Page.Limit). To read the
// next page, pass Page.NextPageStart as the next Start: Bitbucket's positions
// need not be contiguous, so Start+Size can skip or repeat tokens.
//
//	opts := &accesstokens.ListOptions{Limit: 100}
//	for {
//		page, err := client.UserTokens.List(ctx, "alice", opts)
//		if err != nil {
//			return err
//		}
//		use(page.Values)
//		if page.IsLastPage {
//			break
//		}
//		opts.Start = page.NextPageStart
//	}
//
// All does that loop for you as a Go 1.23 iterator, holding one page in
// memory at a time. Breaking out of the loop stops the fetching. An error
// ends the sequence: it comes as the last pair, with a zero token. All never
// changes the ListOptions it is given, and a server page that claims not to
// be the last but does not move forward ends the walk with an error instead
// of looping forever.
//
//	for tok, err := range client.RepoTokens.All(ctx, "PRJ", "repo", nil) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(tok.Name, tok.ExpiryDate)
//	}
//
// Servers list tokens newest first, though Atlassian does not promise it.
//
// # Updating and revoking
//
// Update changes a token's name, its permissions or both; a nil field in
// [UpdateTokenRequest] is left as it is. A token's expiry can never change
// and a token cannot be renewed: [Rotate] replaces it instead. Delete revokes
// a token at once; reading it afterwards fails with [ErrNotFound].
//
// # Scopes as values
//
// A [Scope] names whose tokens: [UserScope]("alice"), [ProjectScope]("PRJ")
// or [RepoScope]("PRJ", "repo"). [ParseScope] reads the same values as text
// ("user:alice", "project:PRJ", "repo:PRJ/repo"), which [Scope.String]
// writes. Client.Tokens ([TokensService]) takes a Scope where the three
// scope services take their path arguments, over the same implementation, so
// code that handles every kind of token needs no switch:
//
//	for _, s := range []accesstokens.Scope{accesstokens.UserScope("alice"), accesstokens.ProjectScope("PRJ")} {
//		for tok, err := range client.Tokens.All(ctx, s, nil) {
//			...
//		}
//	}
//
// A Scope of any other shape (both a user and a project, a repository
// without its project) is refused with [ErrInvalidArgument] naming the field.
//
// # Token lifecycle and rotation
//
// [AccessToken.Expired], [AccessToken.ExpiresWithin] and
// [AccessToken.ExpiryDays] answer the usual questions without date
// arithmetic (ExpiryDays rounds to whole days, so a lifetime that crosses a
// daylight-saving change still counts 30 days). [ParsePermission] reads a
// permission name in any case.
//
// [Rotate] replaces a token with a new one like it (or as [RotateOptions]
// say) over any TokensService. It creates the new token, hands it to your
// Deliver function (store the secret, check that it works) and only then
// revokes the old one. Whatever fails where, it leaves no token whose
// secret you lack unless its error names it, keeps the old token unless the
// new one was delivered, and returns the new secret whenever the new token
// survives. A create whose answer was lost is found by listing the scope
// again and revoked. Its errors are [*RotateError]s naming the step and the
// token ids that exist.
//
// # Reading the whole server
//
// Bitbucket has no endpoint listing every token of a server: an inventory
// walks the scopes. Client.Directory ([DirectoryService]) lists them from
// Bitbucket's core REST API (/rest/api/latest): projects, repositories
// (archived ones included), users (the admin list, or the plain one when the
// caller is not an administrator) and the server's version. It uses the same
// transport as the token services, and pages with the same guarded iterator
// as All.
//
// # Rate limits
//
// A Bitbucket with rate limiting on (a token bucket per user: 60 requests,
// refilled at 5 a second, by default) answers 429 with Retry-After.
// [WithAdaptiveRateLimit] learns the rate the server sustains: nothing is
// paced until the first 429; then every goroutine of the Client waits out
// the Retry-After together, and requests are released at the rate the
// server was seen to serve, creeping up while no 429 comes (the pattern of
// the AWS SDK for Go's adaptive retry mode). Behind Bitbucket's default
// bucket a whole-server audit so takes within a few percent of the least
// time the bucket allows, with a few 429s, most of them at the start.
// [WithRateLimit] paces to a rate and burst you choose (a fixed ceiling;
// with both, the lower rate wins), and holds every goroutine on a 429 as
// well. [WithReadPatience] lets reads wait their 429s out for as long as you
// allow, beyond the retry policy's retries. [WithWaitObserver] reports each
// wait as it begins, so that a program can show that it is waiting and why.
// Without these options nothing is paced.
//
// # Errors
//
// Every non-2xx answer is an [*Error] carrying the status code, the method,
// the request path (never the query string or credentials), Bitbucket's
// error messages and the Retry-After delay when the server sent one. An
// *Error matches the sentinel of its status class through errors.Is, and no
// other: [ErrBadRequest] (400), [ErrUnauthorized] (401), [ErrForbidden] (403),
// [ErrNotFound] (404), [ErrConflict] (409), [ErrRateLimited] (429) and
// [ErrServer] (any 5xx). Other statuses (a 405, a 422, or a redirect the
// client did not follow because it would have turned a write into a GET or
// sent it to another host) match none, but are still an *Error. Error() is
// one short line: it never repeats control characters or the client's own
// credentials, and nothing of a create's answer.
//
// A 2xx answer that is not what the call expects is an error too, never a
// zero value: an HTML page, truncated JSON, a body over [MaxResponseBytes],
// or, for Delete and the policy writes, anything but 204, an empty body or
// JSON (a login page answered with 200 does not revoke anything).
//
//	_, err := client.ProjectTokens.Get(ctx, "PRJ", id)
//	if errors.Is(err, accesstokens.ErrNotFound) {
//		// no such project or token
//	}
//	var apiErr *accesstokens.Error
//	if errors.As(err, &apiErr) {
//		log.Println(apiErr.StatusCode, apiErr.Messages)
//	}
//
// Bitbucket answers 401, not 403, when an authenticated user lacks a right,
// so ErrUnauthorized covers both "who are you?" and "you may not";
// [ErrAuthentication] and [ErrNotPermitted] tell them apart. A write whose
// answer was lost (a reset, a timeout, a 502 or 504, a 2xx that could not be
// read) matches [ErrOutcomeUnknown]: it may or may not have taken effect.
//
// Input the client can tell is wrong is refused before any request is sent:
// an empty user slug, project key, repository slug or token id, an empty
// name, a missing, repeated or unknown permission, a repository token with a
// PROJECT_* permission, a negative Start or Limit. Such errors are an
// [*InvalidArgumentError] naming the field, and match [ErrInvalidArgument].
// Failures with no HTTP answer (a refused connection, an ended context) wrap
// their cause, so errors.Is(err, context.DeadlineExceeded) works too; an
// attempt that got no whole answer within [WithAttemptTimeout]'s bound also
// matches [ErrAttemptTimeout], which a deadline of the caller's own context
// does not. When the
// context ends after a retryable answer (a 503, say), as it arrives, while
// its retry waits or during the retry, the error holds both: errors.As finds
// the answer's *Error (RetryAfter included) and errors.Is the context's error.
//
// # Retries
//
// Requests are retried by default with [DefaultRetryPolicy]: up to 3 retries,
// exponential backoff with jitter from 250 ms, no single wait above 5 s.
// [WithRetry] sets another [RetryPolicy]; the zero RetryPolicy{} turns
// retries off.
//
// Reads, updates, deletes and the admin calls are safe to repeat, so they
// are retried after connection errors (a 2xx body cut off mid-read
// included) and after 429, 502, 503 and 504 answers. A create is different: Bitbucket has no idempotency key, and a
// create repeated after the server acted on the first one makes a second
// token whose secret nobody ever sees. So a create is retried only when the
// server cannot have acted on it: after a 429, a 503 in Bitbucket's own
// error format, or when the connection could not even be opened. After a
// 502, a 504, a proxy's 503 (an HTML page, an empty body), a reset
// connection or a timeout the create is not retried and the error, matching
// [ErrOutcomeUnknown], is returned; list the scope's tokens to see whether it
// was made.
//
// A Retry-After header (seconds or an HTTP date) on a 429 or 503 sets the
// wait, capped by RetryPolicy.MaxWait. When the retries run out, the caller
// gets the last answer as an *Error, RetryAfter included. A delete whose
// earlier attempt may have succeeded treats a later 404 as done.
//
// # Logging
//
// Nothing is logged by default. [WithLogger] sends one Debug record per
// attempt (method, path, status, attempt number, wait, duration) and one per
// retry decision, with its reason. Headers, bodies, query strings and
// credentials are never logged, and a Secret logs as "[REDACTED]" wherever it
// appears.
//
// # Testing
//
// The accesstokenstest package is a fake Bitbucket: one line starts it on
// loopback, seeded with users admin, alice and bob (each user's password is
// the user name) and project PRJ holding repository repo. Tests then use the
// real client over real HTTP:
//
//	srv := accesstokenstest.NewServer()
//	defer srv.Close()
//	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
//
// The fake can also inject faults, move its clock, seed many tokens and
// record requests; see [github.com/bbdc-tools/accesstokens/accesstokenstest].
//
// For unit tests without HTTP, the services are interfaces. Code that takes
// a [TokensService] (or [ProjectTokensService], [UserTokensService],
// [RepoTokensService], [AdminService], [DirectoryService]) rather than a *Client can be handed client.ProjectTokens in
// production and a small stub in tests. A stub can embed the interface and
// implement only the methods the code under test calls.
//
// # Compatibility
//
// Bitbucket Data Center (and Server) has personal tokens since 5.5, and
// project and repository tokens since about 7.17, with a Data Center
// licence. The admin expiry-policy endpoint used by [AdminService] is
// documented for 8.3 and missing from the 9.x and 10.x references; a server
// without it answers 404, which the client reports as [ErrNotFound] with
// that explanation.
//
// The module needs Go 1.23 or newer (All returns an [iter.Seq2]).
package accesstokens

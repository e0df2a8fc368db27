// Package audit is the inventory engine behind the accesstokens command's
// audit and bulk revoke: it enumerates every scope of a Bitbucket Data Center
// server (users, projects, repositories), reads their access tokens
// concurrently, classifies each token (expired, expiring, no-expiry,
// never-used, unused, admin, inactive-owner, bad-date) and writes reports in
// the command's formats. A Go program can use it without the command.
//
// A token whose dates the server sent cannot all be read (a year past 9999,
// say) is reported as far as it was read, with the finding bad-date, and
// the other tokens of its scope are read as usual.
//
// It sees tokens only as the server lists them, which is without their
// secrets.
//
// Usage:
//
//	client, err := accesstokens.NewClientFromEnv()
//	if err != nil { ... }
//	targets, err := audit.Targets(ctx, client.Directory)
//	if err != nil { ... }
//	out, err := audit.NewWriter("jsonl", os.Stdout, audit.Meta{ServerURL: url})
//	if err != nil { ... }
//	sum, err := audit.Run(ctx, client.Tokens, targets, audit.Options{Concurrency: 8}, out.Write)
//	if err != nil { ... } // authentication failed, ctx ended, or out.Write failed
//	if err := out.Close(*sum); err != nil { ... }
//	if !sum.Complete() { ... } // some scopes could not be read: sum.Failed says which
//
// [Run] emits tokens one at a time, in the order read, and keeps only a few
// hundred of them in memory at once, so a server with millions of tokens can
// be audited with the jsonl writer; the table, json and csv writers hold the
// tokens until Close, to write them in a stable order ([CompareTokens]), so
// that two reports of the same server can be diffed. [Options].Keep filters
// what Run emits and counts ([ParseWhere] builds the filter of the command's
// --where from the same findings); [Options].State records progress in a
// file, so that an audit cut off can go on without reading again what it
// read ([CreateState], [ResumeState]). Days left count calendar days in UTC
// ([DaysLeft]).
package audit

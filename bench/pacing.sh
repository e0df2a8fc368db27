#!/usr/bin/env bash
# Measures the command behind a rate limit (BENCHMARKS.md, "Pacing that
# learns the server"): builds the command and the fake, starts the fake with
# generated worlds behind rate limits (Bitbucket's default bucket of 60
# refilled at 5 a second, a smaller one, a fast refill, two cluster nodes,
# X-RateLimit headers) and as slow servers, runs `accesstokens audit --all
# -o jsonl` as an admin runs it, with no flag, and prints wall time against
# the least time each limit allows and the share of requests answered 429,
# as Markdown; then the README's nightly job (its audit line with --fail-on,
# and --state/--resume, cut off by Ctrl-C and resumed; its two revoke lines).
#
#   bash bench/pacing.sh               # the full measurement, 3 rounds: about 20 minutes
#   bash bench/pacing.sh -rounds 5     # more rounds
#   bash bench/pacing.sh -small        # one small world, one round: about a minute (CI)
#
# Flags are internal/benchaudit's (go run ./internal/benchaudit -h). Numbers
# are printed, never checked: it fails when a run does not end as it should
# (exit 0 with every token of the fake's world; the nightly line's exit 3).
set -euo pipefail
cd "$(dirname "$0")/.."

exec go run ./internal/benchaudit -only pacing "$@"

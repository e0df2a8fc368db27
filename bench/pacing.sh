#!/usr/bin/env bash
# Measures pacing behind a rate limit (BENCHMARKS.md, "Pacing that learns the
# server"): builds the fake, starts it with generated worlds behind rate
# limits (Bitbucket's default bucket of 60 refilled at 5 a second, a smaller
# one, a fast refill, two cluster nodes and X-RateLimit headers when the fake
# offers them) and as a slow server without one, audits every scope through
# audit.Run with an SDK client using WithAdaptiveRateLimit and 8 workers, and
# prints wall time against the least time the limit allows, and the share of
# requests answered 429, as Markdown.
#
#   bash bench/pacing.sh             # the full measurement: about 8 minutes
#   bash bench/pacing.sh -small      # a small world, a few seconds (CI)
#
# Flags are internal/benchaudit's (go run ./internal/benchaudit -h). Numbers
# are printed, never checked: it fails only when a run fails.
set -euo pipefail
cd "$(dirname "$0")/.."

exec go run ./internal/benchaudit -only pacing "$@"

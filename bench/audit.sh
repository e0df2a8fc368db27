#!/usr/bin/env bash
# Measures a whole-server audit (BENCHMARKS.md, "Server scale"):
# builds the accesstokens command and the fake, starts the fake with generated
# worlds, runs `accesstokens audit --all -o jsonl` and a hand-written net/http
# loop making the same requests, and prints the tables and ratios as Markdown.
# Then, unless -small, the fake's own benchmarks of the same points (a list
# request with 1k and 100k tokens stored, the start-up of a 40k-token world).
#
#   bash bench/audit.sh              # the full measurement: a few minutes
#   bash bench/audit.sh -small       # small worlds, one round, a few seconds (CI)
#   bash bench/audit.sh -only throughput -rounds 5 -concurrency 8,16
#
# Flags are internal/benchaudit's (go run ./internal/benchaudit -h). Numbers are
# printed, never checked: it fails only when a run fails or the audit and the
# hand-written loop did not make the same requests.
set -euo pipefail
cd "$(dirname "$0")/.."

go run ./internal/benchaudit "$@"

small=false
for arg in "$@"; do
	case $arg in -small | --small | -small=true | --small=true) small=true ;; esac
done
if ! $small; then
	echo
	echo "### The fake's benchmarks"
	echo
	echo '```'
	echo "$ go test -run '^\$' -bench 'ListOnServerWithTokens|WorldStartup' -benchmem ./accesstokenstest"
	go test -run '^$' -bench 'ListOnServerWithTokens|WorldStartup' -benchmem ./accesstokenstest | grep -E '^(Benchmark|ok)'
	echo '```'
fi

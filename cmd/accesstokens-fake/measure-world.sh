#!/usr/bin/env bash
# Measures how long cmd/accesstokens-fake takes to start with a generated world, and its resident
# memory once it serves: by default the audit-sized world of 1,000 projects x 10 repositories,
# 2,000 users and 3 tokens a scope (39,303 tokens). Linux only (reads /proc).
#
#   bash cmd/accesstokens-fake/measure-world.sh [WORLD] [RUNS]     e.g. 1000x10x2000x3 5
set -euo pipefail
cd "$(dirname "$0")/../.."
world=${1:-1000x10x2000x3}
runs=${2:-5}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/fake" ./cmd/accesstokens-fake

for i in $(seq "$runs"); do
	start=$(date +%s%N)
	"$dir/fake" -addr 127.0.0.1:0 -quiet -world "$world" >"$dir/out" 2>"$dir/err" &
	pid=$!
	until [ -s "$dir/out" ]; do
		kill -0 "$pid" 2>/dev/null || { cat "$dir/err"; exit 1; }
		sleep 0.005
	done
	ready=$(date +%s%N)
	url=$(head -1 "$dir/out")
	# One request, so the memory is that of a server that has answered.
	curl -sf -u admin:admin "$url/rest/api/latest/repos?limit=25" >/dev/null
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
	kill "$pid"
	wait "$pid" || true
	echo "run $i: world $world: serving after $(((ready - start) / 1000000)) ms, RSS $((rss / 1024)) MB ($(grep -o 'world of [0-9]* tokens in [^ ]*' "$dir/err"))"
	: >"$dir/out"
done

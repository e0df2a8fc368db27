#!/usr/bin/env bash
# Measures `accesstokens audit --all` against cmd/accesstokens-fake serving a generated world:
# wall time, tokens read, and the command's peak resident memory (GNU time's "Maximum resident
# set size"), for each output format given. jsonl should stay flat whatever the world's size.
# Linux only (GNU /usr/bin/time).
#
#   bash cmd/accesstokens/measure-audit.sh [WORLD] [FORMATS]   e.g. 1000x10x2000x3 "jsonl json csv table"
set -euo pipefail
cd "$(dirname "$0")/../.."
world=${1:-1000x10x2000x3}
formats=${2:-jsonl json csv table}
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
go build -o "$dir/fake" ./cmd/accesstokens-fake
go build -o "$dir/accesstokens" ./cmd/accesstokens

"$dir/fake" -addr 127.0.0.1:0 -quiet -world "$world" >"$dir/url" 2>"$dir/fake.err" &
pid=$!
until [ -s "$dir/url" ]; do
	kill -0 "$pid" 2>/dev/null || { cat "$dir/fake.err"; exit 1; }
	sleep 0.005
done
export BITBUCKET_URL=$(head -1 "$dir/url") BITBUCKET_USERNAME=admin BITBUCKET_PASSWORD=admin

for format in $formats; do
	/usr/bin/time -f "%e s, max RSS %M KB" -o "$dir/time" \
		"$dir/accesstokens" audit --all -o "$format" >"$dir/out" || true
	case $format in
	jsonl) tokens=$(($(wc -l <"$dir/out") - 1)) ;;
	json) tokens=$(grep -c '^    {"scope"' "$dir/out") ;;
	csv) tokens=$(($(wc -l <"$dir/out") - 1)) ;;
	table) tokens=$(tail -n +2 "$dir/out" | grep -c '^[a-z]*:') ;;
	esac
	echo "world $world, -o $format: $tokens tokens, $(cat "$dir/time")"
done

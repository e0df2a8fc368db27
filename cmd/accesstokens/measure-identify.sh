#!/usr/bin/env bash
# Counts the requests `accesstokens identify` sends to find a leaked token, without and with
# --ask-server, for a personal, a project and a repository token in the middle of a generated
# world, against those of `audit --all` on the same world (cmd/accesstokens-fake's request log,
# /_fake/requests). The tokens are minted through the fake's control API, which alone shows a
# secret; it goes to a file in a temporary directory, removed at the end.
#
#   bash cmd/accesstokens/measure-identify.sh [WORLD] [CONCURRENCY]   e.g. 200x10x2000x2 8
set -euo pipefail
cd "$(dirname "$0")/../.."
world=${1:-200x10x2000x2}
concurrency=${2:-8}
IFS=x read -r projects repos users _ <<<"$world"
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
go build -o "$dir/fake" ./cmd/accesstokens-fake
go build -o "$dir/accesstokens" ./cmd/accesstokens

"$dir/fake" -addr 127.0.0.1:0 -quiet -control -history 10000000 -world "$world" >"$dir/url" 2>"$dir/fake.err" &
pid=$!
until [ -s "$dir/url" ]; do
	kill -0 "$pid" 2>/dev/null || { cat "$dir/fake.err"; exit 1; }
	sleep 0.005
done
url=$(head -1 "$dir/url")
export BITBUCKET_URL=$url BITBUCKET_USERNAME=admin BITBUCKET_PASSWORD=admin

control() { curl -sf -H 'Content-Type: application/json' "$@"; }
forget() { control -X DELETE "$url/_fake/requests"; }
requests() { control "$url/_fake/requests" | jq length; }
# mint SCOPE PERMISSION FILE: a token with a known secret, written to FILE
mint() {
	control -d "{\"scope\":\"$1\",\"name\":\"leaked\",\"permissions\":[\"$2\"]}" "$url/_fake/tokens" |
		jq -r .token >"$3"
}

# The middle project (generated keys: PLAT, WEB, ... then P0007, ...), its second repository, and
# the middle user who has logged in (the generator leaves every seventh user without a login).
project=$(printf 'P%04d' $((projects / 2)))
[ $((projects / 2)) -lt 7 ] && project=PLAT
user=$(printf 'user%05d' $((users / 2 + (users / 2 % 7 == 6 ? 1 : 0))))
[ $((users / 2)) -lt 20 ] && user=alice
repo=web
[ "$repos" -lt 2 ] && repo=api
mint "user:$user" REPO_READ "$dir/personal"
mint "project:$project" PROJECT_READ "$dir/project"
mint "repo:$project/$repo" REPO_READ "$dir/repository"

echo "world $world, identify --concurrency $concurrency"
for kind in personal project repository; do
	for ask in "" --ask-server; do
		forget
		start=$(date +%s%N)
		"$dir/accesstokens" identify --secret-from "$dir/$kind" --concurrency "$concurrency" $ask -o json >/dev/null 2>"$dir/err" ||
			{ cat "$dir/err"; exit 1; }
		ms=$((($(date +%s%N) - start) / 1000000))
		printf '%-10s token, identify %-13s %6d requests, %5d ms  (%s)\n' "$kind" "${ask:-(search)}" "$(requests)" "$ms" \
			"$(grep -o 'after asking [0-9]* of [0-9]* scopes' "$dir/err" || echo asked)"
	done
done
forget
start=$(date +%s%N)
"$dir/accesstokens" audit --all -o jsonl >/dev/null
echo "audit --all: $(requests) requests, $((($(date +%s%N) - start) / 1000000)) ms"

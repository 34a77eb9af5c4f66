#!/usr/bin/env bash
# `npm run demo`: installs what it needs, then probes real NSD, BIND and Knot daemons started on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-npm-deps.sh
if [ "$(id -u)" = "0" ]; then bash scripts/deps.sh >/dev/null; fi
exec npx --no-install tsx scripts/demo.ts "$@"

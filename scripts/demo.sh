#!/usr/bin/env bash
# `npm run demo`: installs what it needs (npm packages; as root the Debian packages of the lab), then runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-npm-deps.sh
if [ "$(id -u)" = "0" ]; then bash scripts/deps.sh --lab >/dev/null; fi
exec node --import tsx "scripts/${DEMO_SCRIPT:-demo.ts}" "$@"

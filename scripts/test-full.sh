#!/usr/bin/env bash
# The whole test suite from a clean clone: npm packages, the Debian packages the tests start
# (DNS daemons, dnsperf, dig), then typecheck and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false
bash scripts/ensure-npm-deps.sh
if [ "$(id -u)" = "0" ]; then
  bash scripts/deps.sh --lab --browser
else
  echo "== not root: skipping Debian packages (run 'sudo bash scripts/deps.sh' once); tests that need them will say so"
fi
npm test

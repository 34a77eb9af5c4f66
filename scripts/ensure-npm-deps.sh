#!/usr/bin/env bash
# Runs `npm ci` unless node_modules was already installed from this exact lockfile (stamped by its hash).
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.installed-from-lockfile
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "== npm ci (node_modules missing or installed from another lockfile)"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi

#!/usr/bin/env bash
# Browser end-to-end tests of the staff console. Installs Debian's Chromium when missing (never a downloaded
# browser build), builds the console when it is not built, then runs tests/e2e/*.test.mjs with node's runner.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/lib/chromium/chromium ] && [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

cd "$ROOT/OmniCRM-UI"
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/index.html ] || npm run build
mkdir -p test-artifacts
exec node --test --test-concurrency=1 --test-reporter=spec "$ROOT"/tests/e2e/*.test.mjs

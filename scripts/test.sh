#!/usr/bin/env bash
# The whole test suite: installs what the browser tests need, type-checks, lints, runs vitest,
# and ends with the one-line summary "N passed, N failed" that CI counts.
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests..."
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "warning: could not install chromium; browser tests will fail"
  else
    echo "warning: chromium is missing and we are not root; install it with: sudo apt-get install chromium"
  fi
fi
# The AWS command tests run against moto's server; import transcodes with ffmpeg.
if ! python3 -c 'import moto.server' >/dev/null 2>&1; then
  echo "Installing moto's server for the AWS command tests..."
  python3 -m pip install -q 'moto[server]' >/dev/null 2>&1 || python3 -m pip install -q --break-system-packages 'moto[server]' >/dev/null 2>&1 \
    || echo "warning: could not install moto (pip install 'moto[server]'); the AWS command tests will fail"
fi
# Debian packages the tests run for real: ffmpeg (import), PostgreSQL (catalog, several
# instances), Redis (shared limits). The tests start their own servers on loopback.
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
[ -n "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null)" ] || command -v initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || command -v valkey-server >/dev/null 2>&1 || need+=(redis-server)
if [ "${#need[@]}" -gt 0 ]; then
  echo "Installing Debian's ${need[*]} for the tests..."
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null) \
      || echo "warning: could not install ${need[*]}; the tests that need them will fail"
  else
    echo "warning: ${need[*]} missing and we are not root; install with: sudo apt-get install ${need[*]}"
  fi
fi
# Debian's postgresql package starts a cluster of its own; the tests do not use it.
# Tests run the bin from dist: build it from the current sources.
npx tsc -p tsconfig.build.json >/dev/null || true

passed=0; failed=0
if npx tsc -p tsconfig.json --noEmit; then passed=$((passed+1)); echo "type-check: ok"; else failed=$((failed+1)); echo "type-check: FAILED"; fi
if npx eslint .; then passed=$((passed+1)); echo "lint: ok"; else failed=$((failed+1)); echo "lint: FAILED"; fi

mkdir -p test-results
rm -f test-results/vitest.json
npx vitest run --reporter=default --reporter=json --outputFile=test-results/vitest.json "$@"
if [ -f test-results/vitest.json ]; then
  read -r vp vf < <(node -e '
    const r = JSON.parse(require("fs").readFileSync("test-results/vitest.json", "utf8"));
    // A suite that failed to load counts as one failure even when it reported no tests.
    const broken = r.testResults.filter(f => f.status === "failed" && f.assertionResults.length === 0).length;
    console.log(r.numPassedTests, r.numFailedTests + broken);')
  passed=$((passed+vp)); failed=$((failed+vf))
else
  failed=$((failed+1)); echo "vitest produced no report"
fi
echo "${passed} passed, ${failed} failed"
[ "$failed" = 0 ]

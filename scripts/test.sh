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
if ! command -v ffmpeg >/dev/null 2>&1; then
  echo "Installing Debian's ffmpeg for the import tests..."
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null) \
      || echo "warning: could not install ffmpeg; the import tests will be skipped"
  else
    echo "warning: ffmpeg is missing and we are not root; install it with: sudo apt-get install ffmpeg"
  fi
fi
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

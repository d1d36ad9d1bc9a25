#!/usr/bin/env bash
# Test prerequisites that npm does not install, each installed only when missing (as root, as on
# the project's machines and CI); prints nothing when all are there:
# - SIPp (Debian package sip-tester): the real SIP peer of the trunk test and of the end-to-end
#   tests (phones, carriers, a provider's registrar);
# - FreeSWITCH 1.10.12, prebuilt in ../shared/freeswitch (its install.sh), the real switch of
#   test/freeswitch/ (FREESWITCH_BIN, default /opt/fsrig/bin/freeswitch);
# - Chromium (Debian package chromium), the headless browser of test/browser/ driven by
#   playwright-core (CHROMIUM_BIN, default /usr/bin/chromium).
# Then tap's test class is rebuilt when it still holds a plugin that package.json turns off (the
# tests run transpiled, scripts/transpile.ts, and use none of mock, intercept, fixture, snapshot,
# worker, spawn, stdin or chdir): npm ci installs it built with tap's default plugins, and the tap
# run that notices the difference rebuilds it but still starts every test file with the old
# loaders (ts-node's and @tapjs/mock's hooks in every test process).
# Then the portal (web/) is built into web/dist/ when that is missing or older than its sources
# (scripts/build-web.ts), for the tests that serve it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v sipp >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq sip-tester </dev/null
fi

if [[ ! -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ]]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq chromium </dev/null
fi

if [[ ! -x "${FREESWITCH_BIN:-/opt/fsrig/bin/freeswitch}" ]]; then
  if [[ ! -f ../shared/freeswitch/install.sh ]]; then
    echo "FreeSWITCH is missing and ../shared/freeswitch/install.sh is not beside the repository" >&2
    exit 1
  fi
  bash ../shared/freeswitch/install.sh >/dev/null
fi

if node -e '
  const built = require("fs").readFileSync("node_modules/@tapjs/test/test-built/dist/esm/index.js", "utf8");
  const off = require("./package.json").tap.plugin.filter((p) => p.startsWith("!")).map((p) => p.slice(1));
  process.exit(off.some((p) => built.includes(`from "${p}"`)) ? 0 : 1);'; then
  npx tap build >/dev/null
fi

node --import tsx scripts/build-web.ts

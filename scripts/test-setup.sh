#!/usr/bin/env bash
# Test prerequisites that npm does not install: SIPp (Debian package sip-tester), the real SIP peer
# of test/sip/options-probe.test.ts. Installs it with apt-get when `sipp` is not on PATH (run as root,
# as on the project's machines and CI); prints nothing when it is already there.
set -euo pipefail

if ! command -v sipp >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq sip-tester </dev/null
fi

#!/usr/bin/env bash
# README command 2: set up (if needed) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec npx tap "$@"

#!/usr/bin/env bash
# README command 1: set up (if needed) and start the appliance with the demo call looping through it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node dist/src/cli/index.js serve --demo "$@"

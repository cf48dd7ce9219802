#!/usr/bin/env bash
# README command 2: set up (if needed) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/make-test-models.sh  # tiny sherpa-onnx models the tests load (build/test-models); tests only
exec npx tap "$@"

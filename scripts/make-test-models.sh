#!/usr/bin/env bash
# Test set-up: writes tiny sherpa-onnx models with random weights into build/test-models/ (CI
# cannot download a real model), using PyPI's onnx from a venv of its own (build/test-models-venv,
# hash-pinned scripts/requirements-test-models.txt; kept apart from other venvs of the project).
# Called by scripts/setup.sh; skips everything when the generator and pins are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=build/test-models-venv
out=build/test-models
req=scripts/requirements-test-models.txt
gen=scripts/make-test-sherpa-models.py
want=$(cat "$req" "$gen" | sha256sum | cut -d' ' -f1)
stamp="$out/.stamp"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
echo "setup: writing the tiny sherpa-onnx test models into $out"
if ! "$venv/bin/python" -c 'import onnx, numpy' 2>/dev/null || [ "$(cat "$venv/.req" 2>/dev/null)" != "$(sha256sum "$req")" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  timeout 600 "$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check \
    --require-hashes --only-binary=:all: -r "$req"
  sha256sum "$req" > "$venv/.req"
fi
rm -rf "$out.tmp"
timeout 120 "$venv/bin/python" "$gen" "$out.tmp"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$want" > "$stamp"

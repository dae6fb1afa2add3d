#!/usr/bin/env bash
# Installs the pinned axe-core that the console's browser tests inject into each page
# (tests/api/console/browser.rs): DIR/package/axe.min.js, with its licence (MPL-2.0) beside it.
# Usage: tests/support/axe.sh [DIR]   (default: target/axe-core-VERSION in the repository)
set -euo pipefail
VERSION=4.14.1
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR="${1:-$ROOT/target/axe-core-$VERSION}"
if [ -f "$DIR/package/axe.min.js" ]; then
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "axe-core@$VERSION" >/dev/null)
mkdir -p "$DIR"
tar xzf "$tmp/axe-core-$VERSION.tgz" -C "$DIR"
echo "axe-core $VERSION in $DIR/package"

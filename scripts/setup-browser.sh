#!/usr/bin/env bash
# Installs Debian's chromium if it is missing: the preview page's test drives it headless.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
echo "setup: installing Debian package chromium (headless browser for the preview test)" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null || { echo "setup: chromium did not install" >&2; exit 1; }

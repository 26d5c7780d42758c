#!/usr/bin/env bash
# Installs Debian's chromium, which the web UI's end-to-end tests drive
# headless through chromedp, when it is missing. Uses apt-get as root, or
# through sudo when not root.
set -euo pipefail
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then
    exit 0
  fi
done
if [ "$(id -u)" = 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo -n)
else
  echo "install-chromium: not root and no sudo: cannot apt-get install chromium" >&2
  exit 1
fi
echo "== installing chromium for the browser tests"
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium

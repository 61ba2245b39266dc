#!/bin/sh
# Debian's Chromium for the browser tests (tests/browser/live.py launches it from /usr/bin/chromium): nothing to do
# when it is there; otherwise installed with apt-get as root (or with sudo that needs no password), or a clear
# message of what is missing. The README's test command runs this before the tests, and so does .ci/run.
set -eu
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
  "$CHROMIUM" --version
  exit 0
fi
if ! command -v apt-get > /dev/null 2>&1; then
  echo "The browser tests need Chromium at $CHROMIUM, and this is not a Debian machine (no apt-get):" \
       "install Chromium there, then run the tests again." >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then
  as_root=""
elif command -v sudo > /dev/null 2>&1 && sudo -n true 2> /dev/null; then
  as_root="sudo"
else
  echo "The browser tests need Debian's Chromium at $CHROMIUM. Install it as root:" \
       "apt-get install chromium (or run this command as root), then run the tests again." >&2
  exit 1
fi
echo "Installing Debian's Chromium for the browser tests (apt-get install chromium) ..."
$as_root apt-get update -q
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
"$CHROMIUM" --version

#!/usr/bin/env bash
# Debian packages that some tests use: PostgreSQL (the service's shared store) and Chromium
# (the nightly report checked in a headless browser). Without them those tests skip with a
# message; with them they run for real. Needs root (apt-get); does nothing otherwise.
set -u
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: not root or no apt-get; PostgreSQL/Chromium tests may skip" >&2
  exit 0
fi
need=()
command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "install-system-deps: installing ${need[*]}" >&2
  apt-get update -qq >/dev/null && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || echo "install-system-deps: could not install ${need[*]}; those tests will skip" >&2
fi
exit 0

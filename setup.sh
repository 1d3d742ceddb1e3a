#!/usr/bin/env bash
# Installs what is missing, builds, and starts the live view: sudo build/tcpsight top.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
exec $sudo build/tcpsight top "$@"

#!/usr/bin/env bash
# DEV ONLY: writes random secrets for the dev overlay into secrets/ beside this script (git ignores it).
# Keeps files that exist; pass --force to make new ones (then restart the pods, and drop the dev database
# volume: the old master key no longer opens the signing keys stored there).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec java "$here/MakeDevSecrets.java" "$here/secrets" "$@"

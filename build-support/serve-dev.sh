#!/usr/bin/env bash
# What `./pants run //:serve` runs: Pants has packaged the host PEX and every plugin bundle
# into $1; lay the bundles out as a plugins directory and start the host on them.
# With no --database-url / HOLOMUSH_DATABASE_URL the host starts an embedded PostgreSQL whose
# data lives in the data directory, so the world survives restarts.
set -euo pipefail
chroot="$1"; shift

data_dir="${HOLOMUSH_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/holomush}"
plugins_dir="$data_dir/plugins"
mkdir -p "$plugins_dir"
for bundle in "$chroot"/*.tar.gz; do
  name="$(basename "$bundle" .tar.gz)"
  rm -rf "${plugins_dir:?}/$name"      # replace the previous build of this plugin
  tar -xzf "$bundle" -C "$plugins_dir"
done

exec "$chroot/libs.host/holomush.pex" serve --data-dir "$data_dir" --plugins-dir "$plugins_dir" "$@"

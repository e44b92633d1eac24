#!/bin/sh
# HoloMUSH plugin launcher: the executable of a plugin bundle. It runs the plugin's PEX, which
# sits beside it as "<this file's name>.pex". A PEX in venv mode installs itself into a venv
# under PEX_ROOT on its first start and, on every later start, boots Python once to find that
# venv and a second time inside it. We remember where the venv is (in "<name>.venv", keyed by
# the PEX file's inode, size and mtime) and exec it directly: one interpreter start, no PEX
# bootstrap. Anything unexpected falls back to running the PEX itself.
set -eu
pex="$0.pex"
# (C locale and UTC: the same file gives the same line whatever the caller's environment.)
key=$(LC_ALL=C TZ=UTC0 ls -lni -- "$pex" 2>/dev/null) || {
    echo "holomush plugin launcher: $pex is missing; unpack the whole bundle" >&2
    exit 1
}
cache="$0.venv"
if [ -r "$cache" ]; then
    { read -r cached_key && read -r venv_pex; } <"$cache" || :
    if [ "${cached_key-}" = "$key" ] && [ -x "${venv_pex-}" ]; then
        exec "$venv_pex" "$@"
    fi
fi
# First start (or a new PEX): let the PEX install or find its venv, and ask it where it is.
# Its stdout is captured here, so the plugin's handshake line stays the first stdout bytes.
if venv=$(PEX_INTERPRETER=1 "$pex" -c 'import sys; print(sys.prefix)') && [ -x "$venv/pex" ]; then
    # Best effort: a read-only plugin directory just means no shortcut next time.
    if printf '%s\n%s\n' "$key" "$venv/pex" >"$cache.$$" 2>/dev/null; then
        mv -f "$cache.$$" "$cache" 2>/dev/null || rm -f "$cache.$$"
    fi
    exec "$venv/pex" "$@"
fi
exec "$pex" "$@"

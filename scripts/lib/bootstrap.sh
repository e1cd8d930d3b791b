#!/usr/bin/env bash
# Everything a fresh machine (Python 3.11+, Go, apt-get) needs before serving or testing:
# libmagic, uv, the locked Python environment in .venv, and the FerretDB binary.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

if ! ldconfig -p 2>/dev/null | grep -q 'libmagic\.so\.1'; then
  echo "installing libmagic1 (python-magic needs it)..." >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libmagic1 >&2
fi

if command -v uv >/dev/null 2>&1; then
  uv=(uv)
else
  python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --user "uv==0.13.8" >&2
  uv=(python3 -m uv)
fi
UV_PYTHON_DOWNLOADS=never "${uv[@]}" sync --frozen --quiet >&2

"$root/scripts/lib/install-ferretdb.sh" >/dev/null

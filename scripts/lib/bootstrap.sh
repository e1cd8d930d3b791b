#!/usr/bin/env bash
# Everything a fresh machine (Python 3.11+, Go, apt-get) needs before serving or testing:
# libmagic, PostgreSQL's server binaries, uv, the locked Python environment in .venv, the
# FerretDB binary, and the development explorer's GraphiQL files (with npm, when it is
# there). `--browser` also installs Debian's chromium, for the explorer's browser test.
set -euo pipefail
browser=""
[ "${1:-}" != "--browser" ] || browser=1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    $sudo apt-get update -qq >&2
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2
}

if ! ldconfig -p 2>/dev/null | grep -q 'libmagic\.so\.1'; then
  echo "installing libmagic1 (python-magic needs it)..." >&2
  apt_install libmagic1
fi

# The compliance report's PDF embeds a CJK font with TrueType outlines (reportlab cannot
# embed the CFF outlines of Noto CJK): WenQuanYi Zen Hei (api/compliance_pdf.py).
if ! compgen -G '/usr/share/fonts/truetype/wqy/wqy-zenhei.tt[cf]' >/dev/null; then
  echo "installing fonts-wqy-zenhei (the compliance report's PDF embeds it)..." >&2
  apt_install fonts-wqy-zenhei
fi

# FerretDB runs on a private PostgreSQL cluster that storage/embedded.py creates with
# initdb under the data dir; the package's own system-wide cluster is neither created nor
# started (create_main_cluster = false is set before the server package is installed).
if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null \
   || ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  echo "installing postgresql (the embedded FerretDB stores its data in it)..." >&2
  apt_install postgresql-common
  $sudo sed -ri 's/^#?[[:space:]]*create_main_cluster[[:space:]]*=.*/create_main_cluster = false/' \
    /etc/postgresql-common/createcluster.conf
  apt_install postgresql
fi

if command -v uv >/dev/null 2>&1; then
  uv=(uv)
else
  python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --user "uv==0.13.8" >&2
  uv=(python3 -m uv)
fi
UV_PYTHON_DOWNLOADS=never "${uv[@]}" sync --frozen --quiet >&2

"$root/scripts/lib/install-ferretdb.sh" >/dev/null

# GraphiQL's files, pinned in api/explorer/assets.json and checked against it, kept in the
# cache beside FerretDB: the explorer never loads anything from a CDN. Serving works
# without them (the page then says how to fetch them).
if ! .venv/bin/python -m scripts.explorer_assets_cmd; then
  echo "warning: the explorer's GraphiQL files were not fetched; /graphql in a browser says how" >&2
fi

if [ -n "$browser" ] && [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium (the explorer's browser test)..." >&2
  apt_install chromium
fi

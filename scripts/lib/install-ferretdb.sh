#!/usr/bin/env bash
# Build FerretDB (the local MongoDB wire-protocol server) once and cache the binary.
#
# `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` compiles, but the binary
# panics at start ("Invalid build/version/version.txt file content"): the module zip does
# not carry the generated build/version/version.txt. So we build the same module source
# with that one file written, exactly as upstream's `task gen-version` would.
set -euo pipefail
version="${FERRETDB_VERSION:-v1.24.2}"
bin_dir="${XUEJI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/xueji-archive}/bin"
target="$bin_dir/ferretdb-$version"
if [ -x "$target" ]; then
  echo "$target"
  exit 0
fi
command -v go >/dev/null || { echo "Go is required to build FerretDB" >&2; exit 1; }
mkdir -p "$bin_dir"
src=$(go mod download -json "github.com/FerretDB/FerretDB@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$src/." "$work/"
chmod -R u+w "$work"
echo "$version" > "$work/build/version/version.txt"
echo "building FerretDB $version (first run only)..." >&2
(cd "$work" && GOFLAGS=-buildvcs=false go build -trimpath -o "$target.tmp" ./cmd/ferretdb)
mv "$target.tmp" "$target"
echo "$target"
